import { ConnectedCalendar } from './calendars/entity.ts';
import { CalendarEvent } from './event/entity.ts';
import { CalendarSeries } from './series/entity.ts';
import { SyncReconciliation } from './sync/reconciliation-entity.ts';
import { CalendarSyncState } from './sync/sync-state-entity.ts';

/** Every table this package owns, as the ORM maps it: given to createOrm, and what migrations are diffed against. */
export const entities = [ConnectedCalendar, CalendarEvent, CalendarSeries, CalendarSyncState, SyncReconciliation] as const;
