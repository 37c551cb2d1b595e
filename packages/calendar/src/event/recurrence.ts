import { RRuleTemporal } from 'rrule-temporal';
import { z } from 'zod';

/**
 * A recurring meeting's rule as callers send it and Google stores it: RFC 5545 `RRULE`,
 * `EXRULE`, `RDATE` and `EXDATE` lines, without a `DTSTART` line (the series starts at the
 * meeting's startTime, in its timeZone). Checked here, part by part, so a caller learns which line
 * and which part is wrong before Google sees it; and rewritten here for "this and following" edits.
 */

const PARTS = new Set(['FREQ', 'UNTIL', 'COUNT', 'INTERVAL', 'BYSECOND', 'BYMINUTE', 'BYHOUR', 'BYDAY', 'BYMONTHDAY', 'BYYEARDAY', 'BYWEEKNO', 'BYMONTH', 'BYSETPOS', 'WKST']);
const FREQS = new Set(['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);
const WEEKDAYS = /^(?:[+-]?(?:[1-9]|[1-4]\d|5[0-3]))?(?:MO|TU|WE|TH|FR|SA|SU)$/;
/** part: [min, max, may be negative] */
const NUMBER_LISTS: Readonly<Record<string, [number, number, boolean]>> = {
  BYSECOND: [0, 60, false],
  BYMINUTE: [0, 59, false],
  BYHOUR: [0, 23, false],
  BYMONTHDAY: [1, 31, true],
  BYYEARDAY: [1, 366, true],
  BYWEEKNO: [1, 53, true],
  BYMONTH: [1, 12, false],
  BYSETPOS: [1, 366, true],
};
const DATE = /^\d{8}$/;
const UTC_DATE_TIME = /^\d{8}T\d{6}Z$/;
const LOCAL_DATE_TIME = /^\d{8}T\d{6}$/;

/** What is wrong with one rule's value (`FREQ=WEEKLY;BYDAY=MO`), or undefined when nothing is. */
function ruleProblem(value: string): string | undefined {
  const seen = new Set<string>();
  for (const part of value.split(';')) {
    const [name = '', v, extra] = part.split('=');
    const key = name.toUpperCase();
    if (v === undefined || v === '' || extra !== undefined) return `"${part}" is not NAME=VALUE`;
    if (!PARTS.has(key)) return `${key} is not a rule part (RFC 5545: FREQ, UNTIL, COUNT, INTERVAL, BY..., WKST)`;
    if (seen.has(key)) return `${key} is given twice`;
    seen.add(key);
    const val = v.toUpperCase();
    if (key === 'FREQ' && !FREQS.has(val)) return `FREQ must be one of ${[...FREQS].join(', ')}`;
    if ((key === 'COUNT' || key === 'INTERVAL') && !/^[1-9]\d{0,5}$/.test(val)) return `${key} must be a whole number from 1`;
    if (key === 'UNTIL' && !DATE.test(val) && !UTC_DATE_TIME.test(val)) return 'UNTIL must be a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ)';
    if (key === 'WKST' && !/^(MO|TU|WE|TH|FR|SA|SU)$/.test(val)) return 'WKST must be a weekday (MO ... SU)';
    if (key === 'BYDAY' && !val.split(',').every((d) => WEEKDAYS.test(d))) return 'BYDAY must list weekdays such as MO,WE or 1MO, -1FR';
    const range = NUMBER_LISTS[key];
    if (range) {
      const [min, max, negative] = range;
      for (const item of val.split(',')) {
        const n = Math.abs(Number(item));
        if (!/^[+-]?\d+$/.test(item) || n < min || n > max || (item.startsWith('-') && !negative) || (negative && n === 0)) {
          return `${key} must list numbers from ${negative ? `-${max} to -${min} or ` : ''}${min} to ${max}`;
        }
      }
    }
  }
  if (!seen.has('FREQ')) return 'FREQ is missing (e.g. RRULE:FREQ=WEEKLY;BYDAY=MO)';
  if (seen.has('COUNT') && seen.has('UNTIL')) return 'COUNT and UNTIL cannot both be given';
  try {
    // The library expands what Google would: a rule it cannot build is refused here too.
    new RRuleTemporal({ rruleString: `DTSTART;TZID=UTC:20300101T090000\nRRULE:${value}`, cache: false }).between(new Date(Date.UTC(2030, 0, 1)), new Date(Date.UTC(2030, 0, 2)), true);
  } catch (err) {
    return `cannot be expanded (${err instanceof Error ? err.message : String(err)})`;
  }
  return undefined;
}

/** What is wrong with one RDATE/EXDATE line's parameters and values, or undefined. */
function datesProblem(params: string, values: string): string | undefined {
  let kind = 'DATE-TIME';
  for (const param of params.split(';').filter((p) => p !== '')) {
    const [name = '', value] = param.split('=');
    if (value === undefined) return `"${param}" is not NAME=VALUE`;
    if (name.toUpperCase() === 'VALUE') kind = value.toUpperCase();
    else if (name.toUpperCase() === 'TZID') {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: value });
      } catch {
        return `TZID ${value} is not an IANA time zone`;
      }
    } else return `${name} is not a parameter of dates (VALUE, TZID)`;
  }
  if (kind !== 'DATE' && kind !== 'DATE-TIME' && kind !== 'PERIOD') return 'VALUE must be DATE, DATE-TIME or PERIOD';
  for (const value of values.split(',')) {
    const start = kind === 'PERIOD' ? (value.split('/')[0] ?? '') : value;
    const ok = kind === 'DATE' ? DATE.test(start) : UTC_DATE_TIME.test(start) || LOCAL_DATE_TIME.test(start);
    if (!ok) return `${value} is not a ${kind === 'DATE' ? 'date (YYYYMMDD)' : 'date-time (YYYYMMDDTHHMMSS, Z for UTC)'}`;
  }
  return undefined;
}

/** What is wrong with one recurrence line, or undefined when Google would take it. */
export function recurrenceLineProblem(line: string): string | undefined {
  const m = /^([A-Za-z]+)((?:;[^:]*)?):(.+)$/.exec(line.trim());
  if (!m) return 'must be an RFC 5545 line such as RRULE:FREQ=WEEKLY;BYDAY=MO or EXDATE;TZID=Europe/Berlin:20310106T090000';
  const name = (m[1] ?? '').toUpperCase();
  const params = (m[2] ?? '').slice(1);
  const value = m[3] ?? '';
  if (name === 'DTSTART' || name === 'DTEND') return `${name} is taken from the meeting's start and end; leave it out`;
  if (name === 'RRULE' || name === 'EXRULE') return params !== '' ? `${name} takes no parameters` : ruleProblem(value);
  if (name === 'RDATE' || name === 'EXDATE') return datesProblem(params, value);
  return `${name} is not a recurrence line (RRULE, EXRULE, RDATE, EXDATE)`;
}

/** A recurring meeting's rule as a caller sends it: at least one RRULE or RDATE line. */
export const recurrenceInput = z
  .array(z.string().max(2000))
  .min(1)
  .max(50)
  .superRefine((lines, ctx) => {
    lines.forEach((line, i) => {
      const problem = recurrenceLineProblem(line);
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
    });
    if (!lines.some((l) => /^(RRULE|RDATE)[:;]/i.test(l.trim()))) ctx.addIssue({ code: 'custom', message: 'needs an RRULE (or RDATE) line: it says when the meeting repeats' });
  })
  .transform((lines) => lines.map((l) => l.trim()));

/** `20310105T080000Z` (UTC) or `20310105` (a date) in RFC 5545's basic form. */
function basic(at: Date, allDay: boolean): string {
  const iso = at.toISOString();
  const date = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
  return allDay ? date : `${date}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * The rule cut so that its last occurrence comes before `cut` (the series' occurrences from `cut`
 * on go): every RRULE's COUNT or UNTIL becomes an UNTIL just before it. "This and following"
 * ends the old series with this.
 */
export function recurrenceUntil(lines: readonly string[], cut: Date, allDay: boolean): string[] {
  // All-day series end on the day before; timed ones one second before the cut occurrence.
  const until = basic(new Date(cut.getTime() - (allDay ? 86_400_000 : 1000)), allDay);
  return lines.map((line) => {
    if (!/^RRULE:/i.test(line)) return line;
    const parts = line
      .slice('RRULE:'.length)
      .split(';')
      .filter((p) => !/^(COUNT|UNTIL)=/i.test(p));
    return `RRULE:${[...parts, `UNTIL=${until}`].join(';')}`;
  });
}

/**
 * The rule of a series that continues another one after `occurrencesBefore` occurrences: a COUNT
 * counts only what is left. "This and following" starts the new series with this.
 */
export function recurrenceContinued(lines: readonly string[], occurrencesBefore: number): string[] {
  return lines.map((line) => {
    const m = /^(RRULE:(?:.*;)?)COUNT=(\d+)(.*)$/i.exec(line);
    if (!m) return line;
    return `${m[1]}COUNT=${Math.max(1, Number(m[2]) - occurrencesBefore)}${m[3]}`;
  });
}
