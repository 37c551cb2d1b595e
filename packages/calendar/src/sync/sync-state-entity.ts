import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@calsync/db';
import { ConnectedCalendar } from '../calendars/entity.ts';

/**
 * One row per synced calendar: its current push channel and the incremental-sync cursor.
 * Channel tokens are not stored: they are derived from WEBHOOK_SECRET and the channel id.
 */
export const CalendarSyncState = defineEntity({
  name: 'CalendarSyncState',
  tableName: 'calendar_sync_states',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    calendarId: p
      .manyToOne(ConnectedCalendar)
      .mapToPk()
      .fieldName('calendar_id')
      .unique('calendar_sync_states_calendar_id_unique')
      .deleteRule('cascade'),
    channelId: p.text().fieldName('channel_id').nullable().unique(),
    resourceId: p.text().fieldName('resource_id').nullable(),
    syncToken: p.text().fieldName('sync_token').nullable(),
    /** The cursor of the listing of recurring series (their rules): a second stream beside the occurrences'. */
    seriesSyncToken: p.text().fieldName('series_sync_token').nullable(),
    expiration: p.datetime().nullable(),
    active: p.boolean().default(false),
    // Google's X-Goog-Message-Number; mapped to a JS number so stale notifications can be
    // dropped with a plain `<` (observed values are far below 2^53).
    lastMessageNumber: p.bigint('number').fieldName('last_message_number').nullable(),
    lastNotificationAt: p.datetime().fieldName('last_notification_at').nullable(),
    lastSyncAt: p.datetime().fieldName('last_sync_at').nullable(),
    lastFullSyncAt: p.datetime().fieldName('last_full_sync_at').nullable(),
    // When the latest sync began: a full sync spares rows written after this (it could not see them).
    syncStartedAt: p.datetime().fieldName('sync_started_at').nullable(),
    createdAt: p.datetime().fieldName('created_at').onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .fieldName('updated_at')
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type CalendarSyncState = InferEntity<typeof CalendarSyncState>;
