/**
 * Wall-clock time in an IANA zone, with Intl only (exact across daylight saving switches): the
 * local days of a window and the instant of a local time on a local day.
 */

/** A calendar day: year, month (1-12), day. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Wall clocks already computed, per zone and exact instant. formatToParts is the slot search's main
 * cost (a few microseconds a call, several calls per working day); the same instants come back within
 * one search (a day's probe a day ahead is the next-but-one day's probe a day back) and across
 * searches of the same weeks. Exact: nothing is assumed about where offsets change.
 */
const wallClocks = new Map<string, number>();
const MAX_REMEMBERED = 50_000;

/** The wall clock in `timeZone` at instant `ms`, as if that wall clock were UTC (ms). */
function wallClock(ms: number, timeZone: string): number {
  const key = `${timeZone} ${ms}`;
  let wall = wallClocks.get(key);
  if (wall === undefined) {
    if (wallClocks.size >= MAX_REMEMBERED) wallClocks.clear();
    wall = computeWallClock(ms, timeZone);
    wallClocks.set(key, wall);
  }
  return wall;
}

function computeWallClock(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0) + (ms % 1000 + 1000) % 1000;
}

/** The local day in `timeZone` at instant `ms`. */
export function localDateOf(ms: number, timeZone: string): LocalDate {
  const wall = new Date(wallClock(ms, timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/**
 * The instant of `minutes` after local midnight on `date` in `timeZone`. A local time that does
 * not exist (skipped when clocks go forward) resolves forward by the gap, as Google Calendar does;
 * one that exists twice (clocks go back) is its first instant.
 */
export function instantOf(date: LocalDate, minutes: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minutes * 60_000;
  // The zone's offsets a day before and after: a local time is one of these apart from UTC.
  const before = wallClock(wall - 86_400_000, timeZone) - (wall - 86_400_000);
  const after = wallClock(wall + 86_400_000, timeZone) - (wall + 86_400_000);
  const valid = [wall - before, wall - after].filter((instant) => wallClock(instant, timeZone) === wall);
  // In a gap no instant shows this time: the offset from before the switch moves it forward.
  return valid.length > 0 ? Math.min(...valid) : wall - before;
}

/** The next calendar day. */
export function nextDay(date: LocalDate): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday: 1 Monday ... 7 Sunday. */
export function isoWeekday(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() || 7;
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}
