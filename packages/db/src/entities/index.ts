import { CalendarEvent } from './calendar-event.ts';
import { CalendarSyncState } from './calendar-sync-state.ts';
import { SyncReconciliation } from './sync-reconciliation.ts';

/** Every entity the ORM knows; registered explicitly so nothing depends on file discovery. */
export const entities = [CalendarEvent, CalendarSyncState, SyncReconciliation] as const;
