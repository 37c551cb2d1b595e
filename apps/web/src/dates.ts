/** Calendar arithmetic in the browser's time zone: a sales rep's week is their local week. */

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The rep's time zone: Google shows their meetings in it, and working hours are theirs in it. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Monday 00:00 of the week containing `d` (weeks start on Monday, as in most of Europe and ISO 8601). */
export function startOfWeek(d: Date): Date {
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const sinceMonday = (day.getDay() + 6) % 7;
  return addDays(day, -sinceMonday);
}

/** Calendar days, not 24-hour steps, so a daylight-saving change does not shift midnight. */
export function addDays(d: Date, days: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days, d.getHours(), d.getMinutes());
}

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` for <input type="date"> and the `?week=` parameter. */
export function toDateInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `HH:MM` for <input type="time">. */
export function toTimeInput(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local date + time inputs to a Date, or null when either is incomplete. */
export function fromInputs(date: string, time: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})$/.exec(time);
  if (!m || !t) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(t[1]), Number(t[2]));
}

/** A `YYYY-MM-DD` string as local midnight, or null. */
export function parseDateInput(s: string | null): Date | null {
  return s ? fromInputs(s, '00:00') : null;
}

export const formatTime = (d: Date) => d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
export const formatDay = (d: Date) => d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

export function formatWeek(start: Date): string {
  const end = addDays(start, 6);
  const sameMonth = start.getMonth() === end.getMonth();
  const from = start.toLocaleDateString(undefined, sameMonth ? { day: 'numeric' } : { day: 'numeric', month: 'short' });
  const to = end.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  return `${from} – ${to}`;
}

/** The next half hour from now: a sensible default start for a new meeting. */
export function nextHalfHour(now = new Date()): Date {
  const d = new Date(now);
  d.setSeconds(0, 0);
  d.setMinutes(d.getMinutes() < 30 ? 30 : 60);
  return d;
}

/** A moment for a status table: "12 Mar 2031, 14:05". */
export const formatStamp = (d: Date) => d.toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/**
 * "in 6 days", "3 minutes ago": how soon a channel expires or how stale a sync is reads at a
 * glance this way; the exact moment goes in a tooltip. Each unit is rounded from the smaller one,
 * so 59.7 minutes reads "in 1 hour", not "in 60 minutes".
 */
export function formatRelative(d: Date, now = new Date()): string {
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'always' });
  const minutes = Math.round((d.getTime() - now.getTime()) / 60_000);
  if (minutes === 0) return d <= now ? 'just now' : 'in less than a minute';
  if (Math.abs(minutes) < 60) return format.format(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 24) return format.format(hours, 'hour');
  return format.format(Math.round(hours / 24), 'day');
}
