/**
 * A series' `recurrence` lines (RRULE, EXRULE, RDATE, EXDATE as Google stores them: no DTSTART line)
 * checked the way Google refuses them, and expanded into original start times.
 *
 * The rules themselves are expanded by rrule-temporal in the series' IANA zone (so 09:00 stays 09:00
 * local across daylight-saving switches); this module adds what Google does around it: DTSTART is
 * always an occurrence (without counting towards COUNT), RDATE/EXDATE values are parsed here, EXRULE is
 * a second rule subtracted from the first.
 */
import { RRuleTemporal } from 'rrule-temporal';
import { ApiError } from './errors.ts';
import { parseLocalDateTime } from './time.ts';

/** What a series is expanded from: its rules, the master's start, and the zone the rules run in. */
export interface SeriesRule {
  recurrence: readonly string[];
  /** The master's start instant (all-day: midnight UTC of its date). */
  startMs: number;
  /** IANA zone of start.timeZone; 'UTC' for all-day series, whose dates need no zone. */
  timeZone: string;
  allDay: boolean;
}

interface ParsedRecurrence {
  rrules: string[];
  exrules: string[];
  rdates: DateValue[];
  exdates: DateValue[];
}

/** One RDATE/EXDATE value: an instant, or a calendar date (VALUE=DATE). */
type DateValue = { ms: number } | { date: string };

export const invalidRecurrence = (): ApiError => new ApiError(400, 'invalid', 'Invalid recurrence rule.');

const RULE_PARTS = new Set(['FREQ', 'UNTIL', 'COUNT', 'INTERVAL', 'BYSECOND', 'BYMINUTE', 'BYHOUR', 'BYDAY', 'BYMONTHDAY', 'BYYEARDAY', 'BYWEEKNO', 'BYMONTH', 'BYSETPOS', 'WKST']);
const FREQS = new Set(['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);
const WEEKDAY = /^(?:[+-]?(?:[1-9]|[1-4]\d|5[0-3]))?(?:MO|TU|WE|TH|FR|SA|SU)$/;
const INT_LISTS: Record<string, [number, number, boolean]> = {
  // part: [min, max, negatives allowed]
  BYSECOND: [0, 60, false],
  BYMINUTE: [0, 59, false],
  BYHOUR: [0, 23, false],
  BYMONTHDAY: [1, 31, true],
  BYYEARDAY: [1, 366, true],
  BYWEEKNO: [1, 53, true],
  BYMONTH: [1, 12, false],
  BYSETPOS: [1, 366, true],
};

/** rrule-temporal accepts some rules RFC 5545 (and Google) refuse, so the parts are checked first. */
function checkRule(value: string): void {
  const seen = new Set<string>();
  for (const part of value.split(';')) {
    const [name, v, extra] = part.split('=');
    if (name === undefined || v === undefined || v === '' || extra !== undefined) throw invalidRecurrence();
    const key = name.toUpperCase();
    if (!RULE_PARTS.has(key) || seen.has(key)) throw invalidRecurrence();
    seen.add(key);
    const val = v.toUpperCase();
    if (key === 'FREQ' && !FREQS.has(val)) throw invalidRecurrence();
    if ((key === 'COUNT' || key === 'INTERVAL') && !/^[1-9]\d{0,5}$/.test(val)) throw invalidRecurrence();
    if (key === 'UNTIL' && !/^\d{8}(T\d{6}Z?)?$/.test(val)) throw invalidRecurrence();
    if (key === 'WKST' && !/^(MO|TU|WE|TH|FR|SA|SU)$/.test(val)) throw invalidRecurrence();
    if (key === 'BYDAY' && !val.split(',').every((d) => WEEKDAY.test(d))) throw invalidRecurrence();
    const range = INT_LISTS[key];
    if (range) {
      const [min, max, negative] = range;
      for (const item of val.split(',')) {
        if (!/^[+-]?\d+$/.test(item)) throw invalidRecurrence();
        const n = Math.abs(Number(item));
        if (n < min || n > max || (item.startsWith('-') && !negative) || (negative && n === 0)) throw invalidRecurrence();
      }
    }
  }
  if (!seen.has('FREQ') || (seen.has('COUNT') && seen.has('UNTIL'))) throw invalidRecurrence();
}

function parseDateValues(params: string, values: string, timeZone: string): DateValue[] {
  const p = new Map<string, string>();
  for (const kv of params.split(';').filter((s) => s !== '')) {
    const [k, v] = kv.split('=');
    if (k === undefined || v === undefined) throw invalidRecurrence();
    p.set(k.toUpperCase(), v);
  }
  const type = (p.get('VALUE') ?? 'DATE-TIME').toUpperCase();
  const zone = p.get('TZID') ?? timeZone;
  const out: DateValue[] = [];
  for (const raw of values.split(',')) {
    const v = raw.trim();
    if (type === 'PERIOD') {
      // A period's start is the occurrence; its explicit end or duration is not kept (Google shows the series' duration).
      const start = v.split('/')[0] ?? '';
      out.push(...parseDateValues(`TZID=${zone}`, start, timeZone));
      continue;
    }
    let m = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
    if (m) {
      out.push({ date: `${m[1]}-${m[2]}-${m[3]}` });
      continue;
    }
    m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i.exec(v);
    if (!m) throw invalidRecurrence();
    const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
    const ms = m[7] ? Date.parse(`${iso}Z`) : parseLocalDateTime(iso, zone);
    if (ms === undefined || Number.isNaN(ms)) throw invalidRecurrence();
    out.push({ ms });
  }
  return out;
}

/** Checks every line; throws Google's 400 "Invalid recurrence rule." for anything it would refuse. */
export function parseRecurrence(lines: readonly string[], timeZone = 'UTC'): ParsedRecurrence {
  const parsed: ParsedRecurrence = { rrules: [], exrules: [], rdates: [], exdates: [] };
  for (const line of lines) {
    if (typeof line !== 'string') throw invalidRecurrence();
    const m = /^(RRULE|EXRULE|RDATE|EXDATE)((?:;[^:]*)?):(.+)$/i.exec(line.trim());
    if (!m) throw invalidRecurrence();
    const name = m[1]!.toUpperCase();
    const params = (m[2] ?? '').slice(1);
    const value = m[3]!;
    if (name === 'RRULE' || name === 'EXRULE') {
      if (params !== '') throw invalidRecurrence();
      const rule = value.toUpperCase();
      checkRule(rule);
      (name === 'RRULE' ? parsed.rrules : parsed.exrules).push(rule);
    } else {
      (name === 'RDATE' ? parsed.rdates : parsed.exdates).push(...parseDateValues(params, value, timeZone));
    }
  }
  return parsed;
}

/** Validates a recurrence against its series' start, so a rule the library cannot expand is refused at write time. */
export function validateSeries(rule: SeriesRule): void {
  const parsed = parseRecurrence(rule.recurrence, rule.timeZone);
  try {
    for (const r of [...parsed.rrules, ...parsed.exrules]) ruleFor(r, rule).between(new Date(rule.startMs), new Date(rule.startMs + 1), true);
  } catch {
    throw invalidRecurrence();
  }
}

/** Wall-clock fields of an instant in a zone: YYYYMMDD and HHMMSS. */
function wall(ms: number, timeZone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '00';
  return { date: `${get('year')}${get('month')}${get('day')}`, time: `${get('hour')}${get('minute')}${get('second')}` };
}

function dtstartLine(rule: SeriesRule): string {
  if (rule.allDay) return `DTSTART;VALUE=DATE:${wall(rule.startMs, 'UTC').date}`;
  // The wall-clock start in the series' zone: the rule repeats that local time.
  const w = wall(rule.startMs, rule.timeZone);
  return `DTSTART;TZID=${rule.timeZone}:${w.date}T${w.time}`;
}

function ruleFor(rrule: string, series: SeriesRule): RRuleTemporal {
  // A sub-daily endless rule over years needs more periods than the library's default safety cap.
  return new RRuleTemporal({ rruleString: `${dtstartLine(series)}\nRRULE:${rrule}`, maxIterations: 2_000_000, cache: false });
}

/** An RDATE given as a date: midnight for all-day series, else the series' local start time on that day. */
function rdateMs(v: DateValue, series: SeriesRule): number | undefined {
  if ('ms' in v) return v.ms;
  if (series.allDay) return Date.parse(`${v.date}T00:00:00Z`);
  const t = wall(series.startMs, series.timeZone).time;
  return parseLocalDateTime(`${v.date}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}`, series.timeZone);
}

/**
 * Original start instants of the series' occurrences in [series start, untilMs], ascending.
 * Capped at `maxInstances` (the earliest ones), a guard against rules like FREQ=SECONDLY.
 */
export function expandSeries(series: SeriesRule, untilMs: number, maxInstances: number): number[] {
  const parsed = parseRecurrence(series.recurrence, series.timeZone);
  const from = new Date(series.startMs);
  const to = new Date(untilMs);
  const starts = new Set<number>();
  // Google shows the start itself even when the rule would not produce it (and it does not use up COUNT).
  if (series.startMs <= untilMs) starts.add(series.startMs);
  for (const r of parsed.rrules) for (const z of ruleFor(r, series).between(from, to, true)) starts.add(z.epochMilliseconds);
  for (const v of parsed.rdates) {
    const ms = rdateMs(v, series);
    if (ms !== undefined && ms >= series.startMs && ms <= untilMs) starts.add(ms);
  }
  for (const r of parsed.exrules) for (const z of ruleFor(r, series).between(from, to, true)) starts.delete(z.epochMilliseconds);
  if (parsed.exdates.length > 0) {
    const instants = new Set<number>();
    const dates = new Set<string>();
    for (const v of parsed.exdates) {
      if ('ms' in v) instants.add(v.ms);
      else dates.add(v.date);
    }
    for (const ms of starts) {
      const d = wall(ms, series.allDay ? 'UTC' : series.timeZone).date;
      const day = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
      if (instants.has(ms) || dates.has(day)) starts.delete(ms);
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  return sorted.length > maxInstances ? sorted.slice(0, maxInstances) : sorted;
}

/** True when no RRULE can go on for ever (every one has COUNT or UNTIL): the series has a last occurrence. */
export function isBounded(recurrence: readonly string[]): boolean {
  return recurrence.every((line) => !/^RRULE:/i.test(line) || /(^|;|:)(COUNT|UNTIL)=/i.test(line));
}

export interface ExpansionOptions {
  /** How far past "now" an endless (or long) series is expanded. */
  horizonMs: number;
  /** Most occurrences one series yields, earliest first. */
  maxInstances: number;
}

/**
 * Expansions cached per series rule. One listing asks for the same series page after page, and a
 * calendar of 200 series is listed whole by every full sync: expanding each rule once matters. An
 * entry covers up to `until`; it is reused while the asked bound stays within it, so the moving
 * "now" of the horizon does not defeat the cache.
 */
export class Expander {
  private cache = new Map<string, { until: number; starts: number[] }>();
  private static readonly MAX_ENTRIES = 20_000;
  /** Slack added when expanding, so the cache survives the clock moving on for a while. */
  private static readonly SLACK_MS = 31 * 86_400_000;

  constructor(readonly opts: ExpansionOptions) {}

  /** Original starts in [series start, untilMs], ascending. */
  starts(rule: SeriesRule, untilMs: number): number[] {
    const key = JSON.stringify([rule.recurrence, rule.startMs, rule.timeZone, rule.allDay]);
    let entry = this.cache.get(key);
    if (!entry || entry.until < untilMs) {
      const until = untilMs + Expander.SLACK_MS;
      entry = { until, starts: expandSeries(rule, until, this.opts.maxInstances) };
      this.cache.delete(key);
      if (this.cache.size >= Expander.MAX_ENTRIES) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, entry);
    }
    const all = entry.starts;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]! <= untilMs) lo = mid + 1;
      else hi = mid;
    }
    return lo === all.length ? all : all.slice(0, lo);
  }

  /** Whether `originalStartMs` is an occurrence of the series (any distance in the future). */
  has(rule: SeriesRule, originalStartMs: number): boolean {
    if (originalStartMs < rule.startMs) return false;
    const starts = this.starts(rule, originalStartMs);
    return starts.length > 0 && starts[starts.length - 1] === originalStartMs;
  }

  reset(): void {
    this.cache.clear();
  }
}
