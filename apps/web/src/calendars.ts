import type { RouterOutputs } from '@calsync/client';

/** What `calendar.connection` says about the caller: their calendar (or none), the mode, may they connect, are they an admin. */
export type Connection = RouterOutputs['calendar']['connection'];
/** A connected calendar with its state, push channel and last sync (connection, connect, disconnect, the admin list). */
export type CalendarStatus = RouterOutputs['calendar']['connect'];
export type CalendarState = CalendarStatus['state'];
export type CalendarsPage = RouterOutputs['calendar']['calendars'];

/** A state in words a rep understands; `error` is a sync problem the service retries on its own. */
export const STATE_LABELS: Record<CalendarState, string> = {
  active: 'Connected',
  error: 'Sync problem',
  disconnected: 'Disconnected',
};

/** The person a calendar belongs to: its delegated subject (a user's address), else its id. */
export const calendarName = (c: Pick<CalendarStatus, 'calendarId' | 'subject'>) => c.subject ?? c.calendarId;

/** Why a calendar is not (fully) working, in one line: the last error says most, the state reason names who disconnected it. */
export function problemOf(c: CalendarStatus): string | null {
  if (c.state === 'error') return c.lastError ?? c.stateReason;
  if (c.state === 'disconnected') return c.stateReason;
  return null;
}
