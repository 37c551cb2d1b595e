/** Instances of recurring events: their ids, and the unmodified ones built from the series on demand. */
import { type EventDateTime, type StoredEvent } from './event.ts';
import type { SeriesRule } from './recurrence.ts';
import { formatDateTime } from './time.ts';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `20300107T080000Z` (UTC of the original start) for timed series, `20300107` for all-day ones. */
export function instanceStamp(originalStartMs: number, allDay: boolean): string {
  const d = new Date(originalStartMs);
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  return allDay ? date : `${date}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

export const instanceId = (seriesId: string, originalStartMs: number, allDay: boolean): string =>
  `${seriesId}_${instanceStamp(originalStartMs, allDay)}`;

/**
 * `<seriesId>_<stamp>` back into its parts. The stamp is matched case-insensitively: Google has been
 * seen handing out `_20201107t070000z` from events.list and `_20201107T070000Z` from events.instances.
 */
export function parseInstanceId(id: string): { seriesId: string; originalStartMs: number; allDay: boolean } | undefined {
  const cut = id.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/i.exec(id.slice(cut + 1));
  if (!m) return undefined;
  const allDay = m[4] === undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return Number.isNaN(ms) ? undefined : { seriesId: id.slice(0, cut), originalStartMs: ms, allDay };
}

/** The rule a stored event recurs by, or undefined for a single event or an instance. */
export function seriesRule(ev: StoredEvent): SeriesRule | undefined {
  const recurrence = ev.body.recurrence;
  if (recurrence === undefined || recurrence.length === 0 || ev.recurringEventId !== undefined) return undefined;
  const allDay = ev.body.start.date !== undefined;
  return { recurrence, startMs: ev.startMs, timeZone: allDay ? 'UTC' : (ev.body.start.timeZone ?? 'UTC'), allDay };
}

/** start/end/originalStartTime as Google writes them for an instant in the series' zone. */
export function timeOf(ms: number, like: EventDateTime): EventDateTime {
  if (like.date !== undefined) return { date: new Date(ms).toISOString().slice(0, 10) };
  const out: EventDateTime = { dateTime: formatDateTime(ms, like.timeZone) };
  if (like.timeZone !== undefined) out.timeZone = like.timeZone;
  return out;
}

/** Stable per (series version, occurrence): changes whenever the series changes, like an etag should. */
function instanceEtag(master: StoredEvent, originalStartMs: number): string {
  const salt = String(Math.floor(originalStartMs / 1000) % 1_000_000).padStart(6, '0');
  return `"${master.etag.replace(/"/g, '')}${salt}"`;
}

/**
 * An occurrence nobody modified: the series' fields at that slot. It is not stored; its change is
 * the series' change (same changeSeq), so incremental syncs re-send it whenever the series changes.
 */
export function virtualInstance(master: StoredEvent, originalStartMs: number): StoredEvent {
  const { recurrence, ...rest } = master.body;
  void recurrence;
  const duration = master.endMs - master.startMs;
  const start = timeOf(originalStartMs, master.body.start);
  const inst: StoredEvent = {
    id: instanceId(master.id, originalStartMs, master.body.start.date !== undefined),
    calendarId: master.calendarId,
    changeSeq: master.changeSeq,
    etag: instanceEtag(master, originalStartMs),
    createdMs: master.createdMs,
    updatedMs: master.updatedMs,
    sequence: master.sequence,
    startMs: originalStartMs,
    endMs: originalStartMs + duration,
    organizer: master.organizer,
    creator: master.creator,
    body: { ...rest, start, end: timeOf(originalStartMs + duration, master.body.end) },
    recurringEventId: master.id,
    originalStartMs,
    originalStart: start,
  };
  if (master.conference) inst.conference = master.conference;
  return inst;
}
