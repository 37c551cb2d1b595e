import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@calsync/db';
import { ConnectedCalendar } from '../calendars/entity.ts';

/**
 * One row per calendar per reconcile run: how much drift (changes no notification brought) the
 * run repaired, and whether the channel looked dead. A time series to graph and alert on.
 */
export const SyncReconciliation = defineEntity({
  name: 'SyncReconciliation',
  tableName: 'sync_reconciliations',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    calendarId: p.manyToOne(ConnectedCalendar).mapToPk().fieldName('calendar_id').deleteRule('cascade'),
    ranAt: p.datetime().fieldName('ran_at'),
    changed: p.integer(),
    deleted: p.integer(),
    fullSync: p.boolean().fieldName('full_sync'),
    channelSilent: p.boolean().fieldName('channel_silent'),
    channelRenewed: p.boolean().fieldName('channel_renewed'),
  },
  indexes: [{ name: 'sync_reconciliations_calendar_ran_at_idx', properties: ['calendarId', 'ranAt'] }],
});
export type SyncReconciliation = InferEntity<typeof SyncReconciliation>;
