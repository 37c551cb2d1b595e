/** freebusy.query: busy time of several calendars in one call, computed from the stored events. */
import { ApiError, invalidField, requiredField } from './errors.ts';
import { isObject, type JsonObject, type StoredEvent } from './event.ts';
import { seriesRule } from './instances.ts';
import type { Calendar, Store } from './store.ts';
import { formatDateTime, isValidTimeZone, isoMs, parseRfc3339 } from './time.ts';

/** Google's documented maximum (and default) of calendarExpansionMax. */
export const MAX_CALENDARS_PER_QUERY = 50;

export interface FreeBusyQuery {
  timeMinMs: number;
  timeMaxMs: number;
  /** Zone the busy periods are written in; undefined: UTC (`Z`), Google's default. */
  timeZone: string | undefined;
  /** Calendar ids exactly as the caller wrote them: they are the answer's keys. */
  ids: string[];
  calendarExpansionMax: number;
}

export interface FreeBusyCalendar {
  busy: { start: string; end: string }[];
  errors?: { domain: 'global'; reason: string }[];
}

export interface FreeBusyResponse {
  kind: 'calendar#freeBusy';
  timeMin: string;
  timeMax: string;
  calendars: Record<string, FreeBusyCalendar>;
}

/** The request body, with Google's 400s for what is missing or malformed. */
export function parseFreeBusyQuery(body: JsonObject): FreeBusyQuery {
  const time = (name: 'timeMin' | 'timeMax'): number => {
    const v = body[name];
    if (v === undefined || v === null || v === '') throw requiredField(`Missing ${name} parameter.`);
    const ms = typeof v === 'string' ? parseRfc3339(v) : undefined;
    if (ms === undefined) throw invalidField(`Invalid value for: ${name}`);
    return ms;
  };
  const timeMinMs = time('timeMin');
  const timeMaxMs = time('timeMax');
  if (timeMaxMs <= timeMinMs) throw new ApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  const tz = body.timeZone;
  if (tz !== undefined && tz !== null && (typeof tz !== 'string' || !isValidTimeZone(tz))) throw invalidField('Invalid value for: timeZone');
  const items = body.items ?? [];
  if (!Array.isArray(items)) throw invalidField('Invalid value for: items');
  const ids = items.map((item: unknown) => {
    if (!isObject(item) || typeof item.id !== 'string' || item.id === '') throw requiredField('Missing calendar id.');
    return item.id;
  });
  const max = body.calendarExpansionMax ?? MAX_CALENDARS_PER_QUERY;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_CALENDARS_PER_QUERY) {
    throw invalidField('Invalid value for: calendarExpansionMax');
  }
  return { timeMinMs, timeMaxMs, timeZone: typeof tz === 'string' ? tz : undefined, ids, calendarExpansionMax: max };
}

/**
 * The answer for calendars the caller may read (`calendarFor` throws for the others: notFound in
 * that calendar's entry, not a failed call). Calendars beyond calendarExpansionMax are not looked at.
 */
export function freeBusy(store: Store, q: FreeBusyQuery, calendarFor: (id: string) => Calendar): FreeBusyResponse {
  const calendars: Record<string, FreeBusyCalendar> = {};
  q.ids.forEach((id, i) => {
    if (i >= q.calendarExpansionMax) {
      calendars[id] = { busy: [], errors: [{ domain: 'global', reason: 'tooManyCalendarsRequested' }] };
      return;
    }
    let cal: Calendar;
    try {
      cal = calendarFor(id);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 404) throw err;
      calendars[id] = { busy: [], errors: [{ domain: 'global', reason: 'notFound' }] };
      return;
    }
    calendars[id] = {
      busy: busyIntervals(store, cal, q.timeMinMs, q.timeMaxMs).map(([s, e]) => ({ start: formatDateTime(s, q.timeZone), end: formatDateTime(e, q.timeZone) })),
    };
  });
  return { kind: 'calendar#freeBusy', timeMin: isoMs(q.timeMinMs), timeMax: isoMs(q.timeMaxMs), calendars };
}

/**
 * Busy periods of one calendar within [timeMinMs, timeMaxMs): live events shown as busy (not
 * `transparent`) that the calendar's owner has not declined, occurrences of series expanded,
 * clipped to the window, sorted, overlapping and touching periods joined. All-day events cover
 * their dates in the calendar's zone (UTC here, as calendars.get says).
 */
export function busyIntervals(store: Store, cal: Calendar, timeMinMs: number, timeMaxMs: number): [number, number][] {
  const found: [number, number][] = [];
  const add = (startMs: number, endMs: number): void => {
    if (startMs < timeMaxMs && endMs > timeMinMs) found.push([Math.max(startMs, timeMinMs), Math.min(endMs, timeMaxMs)]);
  };
  for (const ev of cal.events.values()) {
    if (!blocksTime(ev, cal.id)) continue;
    const rule = seriesRule(ev);
    if (!rule) {
      add(ev.startMs, ev.endMs);
      continue;
    }
    // Modified and cancelled occurrences are stored events of their own (visited by this loop).
    const duration = ev.endMs - ev.startMs;
    for (const ms of store.occurrences(cal, ev, timeMaxMs, rule)) add(ms, ms + duration);
  }
  found.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of found) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

function blocksTime(ev: StoredEvent, owner: string): boolean {
  if (ev.body.status === 'cancelled') return false;
  if (ev.body.extra.transparency === 'transparent') return false;
  return !ev.body.attendees?.some((a) => a.email === owner && a.responseStatus === 'declined');
}
