import { ConnectedCalendar } from './calendars/entity.ts';
import { CalendarEvent } from './event/entity.ts';
import { SyncReconciliation } from './sync/reconciliation-entity.ts';
import { CalendarSyncState } from './sync/sync-state-entity.ts';

/** Every table this package owns, as the ORM maps it: given to createOrm, and what migrations are diffed against. */
export const entities = [ConnectedCalendar, CalendarEvent, CalendarSyncState, SyncReconciliation] as const;
