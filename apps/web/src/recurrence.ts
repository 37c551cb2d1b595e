/**
 * A recurring meeting's rule (RFC 5545 lines, as getEvent returns them) in words a rep reads:
 * "Every week on Monday", "Every 2 weeks on Tuesday and Thursday", "Every day, 10 times".
 * The rule comes from Google, where anyone may have written anything: what is not phrased here
 * reads as RECURRENCE_UNPHRASED rather than as a wrong sentence, and nothing here throws.
 */

export const RECURRENCE_UNPHRASED = 'Repeats on a custom schedule';

export interface RecurrenceWords {
  /** The occurrence shown: the weekday or day a rule without BYDAY / BYMONTHDAY repeats on, and the last day an UNTIL allows. */
  start?: Date;
  /** How dates are written (the browser's language when left out). */
  locale?: string;
  /** The zone the page shows times in (the browser's when left out). */
  timeZone?: string;
}

const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
type Day = (typeof DAYS)[number];
/** One BYDAY item: `TU`, or `2TU` / `-1FR` (its place in the month or year). */
interface ByDay {
  ordinal: string;
  day: Day;
}
const DAY_NAMES: Record<Day, string> = { MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday' };
const WEEKDAYS: readonly Day[] = ['MO', 'TU', 'WE', 'TH', 'FR'];
const ORDINALS: Record<string, string> = { '1': 'first', '2': 'second', '3': 'third', '4': 'fourth', '5': 'fifth', '-1': 'last', '-2': 'second to last' };
/** Parts whose meaning these sentences can carry; WKST only matters to which week an INTERVAL counts from. */
const PHRASED_PARTS = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'WKST']);
const UNITS: Record<string, [string, string]> = { DAILY: ['day', 'days'], WEEKLY: ['week', 'weeks'], MONTHLY: ['month', 'months'], YEARLY: ['year', 'years'] };

/** The rule in words; RECURRENCE_UNPHRASED for one these sentences cannot say exactly. */
export function describeRecurrence(lines: readonly string[], opts: RecurrenceWords = {}): string {
  const rules: string[] = [];
  let skipped = 0;
  let added = 0;
  for (const raw of lines) {
    const m = /^([A-Za-z]+)((?:;[^:]*)?):(.*)$/.exec(raw.trim());
    const name = m?.[1]?.toUpperCase();
    const value = m?.[3] ?? '';
    if (name === 'RRULE') rules.push(value);
    else if (name === 'EXDATE') skipped += value.split(',').length;
    else if (name === 'RDATE') added += value.split(',').length;
    else return RECURRENCE_UNPHRASED;
  }
  const [rule, ...more] = rules;
  if (rule === undefined || more.length > 0) return RECURRENCE_UNPHRASED;
  const words = ruleInWords(rule, opts);
  if (!words) return RECURRENCE_UNPHRASED;
  return words + (added ? `, and on ${dates(added)} more` : '') + (skipped ? `, except on ${dates(skipped)}` : '');
}

const dates = (n: number) => (n === 1 ? '1 date' : `${n} dates`);

function ruleInWords(rule: string, opts: RecurrenceWords): string | undefined {
  const parts = new Map<string, string>();
  for (const part of rule.split(';')) {
    const [key, value, extra] = part.toUpperCase().split('=');
    if (!key || !value || extra !== undefined || parts.has(key) || !PHRASED_PARTS.has(key)) return undefined;
    parts.set(key, value);
  }
  const freq = parts.get('FREQ') ?? '';
  const unit = UNITS[freq];
  const interval = wholeNumber(parts.get('INTERVAL') ?? '1');
  if (!unit || interval === undefined) return undefined;
  const every = interval === 1 ? `Every ${unit[0]}` : `Every ${interval} ${unit[1]}`;

  const byDay = parts.has('BYDAY') ? (parts.get('BYDAY') ?? '').split(',').map(parseDay) : undefined;
  const days = byDay?.filter((d) => d !== undefined);
  if (byDay && days?.length !== byDay.length) return undefined;
  const monthDays = parts.has('BYMONTHDAY') ? (parts.get('BYMONTHDAY') ?? '').split(',') : undefined;
  if (monthDays?.some((d) => !/^-?\d{1,2}$/.test(d) || d === '0' || Math.abs(Number(d)) > 31)) return undefined;
  const month = parts.get('BYMONTH');
  const start = opts.start ? wallClock(opts.start, opts.timeZone) : undefined;

  let when: string | undefined;
  switch (freq) {
    case 'DAILY':
      if (monthDays || month) return undefined;
      if (!days) when = every;
      // Daily on some weekdays is those weekdays every week.
      else if (interval === 1) when = weekly('Every week', days);
      break;
    case 'WEEKLY':
      if (monthDays || month) return undefined;
      if (days) when = weekly(every, days);
      else when = start ? `${every} on ${DAY_NAMES[start.day]}` : every;
      break;
    case 'MONTHLY':
      if (month) return undefined;
      when = monthly(every, days, monthDays, start);
      break;
    case 'YEARLY':
      when = yearly(every, days, monthDays, month, start, opts);
      break;
  }
  if (!when) return undefined;

  const count = parts.get('COUNT');
  const until = parts.get('UNTIL');
  if (count !== undefined && until !== undefined) return undefined;
  if (count !== undefined) {
    const n = wholeNumber(count);
    if (n === undefined) return undefined;
    return n === 1 ? `${when}, once` : `${when}, ${n} times`;
  }
  if (until !== undefined) {
    const last = lastDay(until, start, opts.timeZone);
    if (!last) return undefined;
    return `${when} until ${last.toLocaleDateString(opts.locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })}`;
  }
  return when;
}

function weekly(every: string, days: readonly ByDay[]): string | undefined {
  if (days.some((d) => d.ordinal !== '')) return undefined;
  const set = new Set(days.map((d) => d.day));
  const sorted = DAYS.filter((d) => set.has(d));
  if (every === 'Every week' && sorted.length === 7) return 'Every day';
  if (every === 'Every week' && sorted.length === 5 && WEEKDAYS.every((d) => set.has(d))) return 'Every weekday';
  return `${every} on ${list(sorted.map((d) => DAY_NAMES[d]))}`;
}

function monthly(every: string, days: ByDay[] | undefined, monthDays: string[] | undefined, start: WallClock | undefined): string | undefined {
  if (days && monthDays) return undefined;
  if (days) {
    // "the second Tuesday": one weekday at one place in the month; plain BYDAY (every Tuesday of it) is not phrased.
    const [only, ...others] = days;
    const ordinal = only ? ORDINALS[only.ordinal] : undefined;
    if (!only || others.length > 0 || !ordinal) return undefined;
    return `${every} on the ${ordinal} ${DAY_NAMES[only.day]}`;
  }
  if (monthDays) return `${every} on ${list(monthDays.map(dayOfMonth))}`;
  return start ? `${every} on the ${ordinalNumber(start.date)}` : every;
}

function yearly(
  every: string,
  days: ByDay[] | undefined,
  monthDays: string[] | undefined,
  month: string | undefined,
  start: WallClock | undefined,
  opts: RecurrenceWords,
): string | undefined {
  const m = month === undefined ? start?.month : wholeNumber(month);
  if (m === undefined || m > 12) return undefined;
  const monthName = new Date(Date.UTC(2000, m - 1, 1)).toLocaleDateString(opts.locale, { month: 'long', timeZone: 'UTC' });
  if (days) {
    const [only, ...others] = days;
    const ordinal = only ? ORDINALS[only.ordinal] : undefined;
    if (!only || others.length > 0 || !ordinal || monthDays || month === undefined) return undefined;
    return `${every} on the ${ordinal} ${DAY_NAMES[only.day]} of ${monthName}`;
  }
  const [day, ...moreDays] = monthDays ?? [];
  if (moreDays.length > 0) return undefined;
  const d = day === undefined ? start?.date : Number(day);
  if (d === undefined || d < 1) return undefined;
  // Written as the reader writes a day of a month ("14 March", "March 14"); 2000 has a 29 February.
  return `${every} on ${new Date(Date.UTC(2000, m - 1, d)).toLocaleDateString(opts.locale, { day: 'numeric', month: 'long', timeZone: 'UTC' })}`;
}

function parseDay(token: string): ByDay | undefined {
  const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(token);
  if (!m) return undefined;
  return { ordinal: (m[1] ?? '').replace('+', ''), day: m[2] as Day };
}

function dayOfMonth(d: string): string {
  const n = Number(d);
  if (n === -1) return 'the last day';
  if (n < 0) return `the ${ordinalNumber(-n)} to last day`;
  return `the ${ordinalNumber(n)}`;
}

function ordinalNumber(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function wholeNumber(s: string): number | undefined {
  return /^[1-9]\d{0,5}$/.test(s) ? Number(s) : undefined;
}

/** "Monday", "Monday and Thursday", "Monday, Wednesday and Friday". */
function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

interface WallClock {
  day: Day;
  /** Day of the month, 1-31. */
  date: number;
  /** 1-12. */
  month: number;
  /** Seconds since midnight. */
  seconds: number;
}

/** What a clock and a calendar on the wall in `timeZone` show at `at`. */
function wallClock(at: Date, timeZone: string | undefined): WallClock | undefined {
  if (Number.isNaN(at.getTime())) return undefined;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', day: 'numeric', month: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').slice(0, 2).toUpperCase() as Day;
  return { day, date: Number(get('day')), month: Number(get('month')), seconds: Number(get('hour')) * 3600 + Number(get('minute')) * 60 + Number(get('second')) };
}

/**
 * The last day an UNTIL lets the meeting happen on (as a UTC midnight, to be written in UTC). An
 * UNTIL is a moment: one that falls before the meeting's time of day (Google ends a series split
 * by "this and following" a second before the first occurrence it no longer holds) rules that day out.
 */
function lastDay(until: string, start: WallClock | undefined, timeZone: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(until);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, utc] = m.slice(1).map((x) => x ?? '');
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(d)) return undefined;
  if (h === '') return date;
  let day = date;
  let seconds = Number(h) * 3600 + Number(mi) * 60 + Number(s);
  if (utc) {
    // The moment on the page's clock.
    const wall = wallClock(new Date(date.getTime() + seconds * 1000), timeZone);
    if (!wall) return undefined;
    const shift = Math.round((Date.UTC(2000, wall.month - 1, wall.date) - Date.UTC(2000, date.getUTCMonth(), date.getUTCDate())) / 86_400_000);
    // Across a year's end the month-day difference wraps; the zone moves the date by a day at most.
    const days = shift > 1 ? -1 : shift < -1 ? 1 : shift;
    day = new Date(date.getTime() + days * 86_400_000);
    seconds = wall.seconds;
  }
  return start && seconds < start.seconds ? new Date(day.getTime() - 86_400_000) : day;
}

/** "Repeat weekly" for a meeting starting at `start`: on its weekday on the page's calendar (the browser's zone, which is sent as the series' timeZone). */
export function weeklyOn(start: Date): string[] {
  return [`RRULE:FREQ=WEEKLY;BYDAY=${localDay(start)}`];
}

/** The weekday of `start` on the page's calendar, in words. */
export const weekdayName = (start: Date): string => DAY_NAMES[localDay(start)];

/** Date.getDay() counts from Sunday; DAYS from Monday. */
const localDay = (d: Date): Day => DAYS[(d.getDay() + 6) % 7] ?? 'MO';
