/** RFC3339 / date helpers shared by event validation and list filters. */

const RFC3339_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a timestamp that carries its own offset; undefined when it is not one. */
export function parseRfc3339(value: string): number | undefined {
  if (!RFC3339_WITH_OFFSET.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseDate(value: string): number | undefined {
  const m = DATE_ONLY.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2025-02-30 over to March: reject instead, like Google.
  return new Date(ms).toISOString().slice(0, 10) === value ? ms : undefined;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of `tz` from UTC at instant `ms`, in minutes. */
function offsetMinutes(ms: number, tz: string): number {
  // Intl is slow (a recurring series renders thousands of instances per listing) and zone offsets
  // change on quarter-hour boundaries of UTC, so offsets are remembered per zone and quarter hour.
  const bucket = Math.floor(ms / QUARTER_HOUR_MS);
  let byBucket = offsetCache.get(tz);
  if (!byBucket) {
    byBucket = new Map();
    offsetCache.set(tz, byBucket);
  }
  const known = byBucket.get(bucket);
  if (known !== undefined) return known;
  if (byBucket.size >= OFFSET_CACHE_MAX) byBucket.clear();
  const offset = computeOffsetMinutes(bucket * QUARTER_HOUR_MS, tz);
  byBucket.set(bucket, offset);
  return offset;
}

const QUARTER_HOUR_MS = 15 * 60_000;
const OFFSET_CACHE_MAX = 200_000;
const offsetCache = new Map<string, Map<number, number>>();

function computeOffsetMinutes(ms: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(tz).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return Math.round((asUtc - (ms - (ms % 1000))) / 60000);
}

/** A wall-clock time without offset, interpreted in `tz` (two passes settle DST edges). */
export function parseLocalDateTime(value: string, tz: string): number | undefined {
  const m = LOCAL_DATE_TIME.exec(value);
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  let ms = wall - offsetMinutes(wall, tz) * 60000;
  ms = wall - offsetMinutes(ms, tz) * 60000;
  return ms;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Google echoes dateTime in the event's time zone (or UTC with Z), without milliseconds. */
export function formatDateTime(ms: number, tz: string | undefined): string {
  const offset = tz === undefined ? 0 : offsetMinutes(ms, tz);
  const local = new Date(ms + offset * 60000).toISOString().slice(0, 19);
  if (tz === undefined || tz === 'UTC' || tz === 'Etc/UTC') return `${local}Z`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** RFC3339 with milliseconds and Z, the shape of Google's created/updated fields. */
export const isoMs = (ms: number): string => new Date(ms).toISOString();
