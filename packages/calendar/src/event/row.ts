import { entriesOf, type ColumnKind, type Field } from './field.ts';
import { EVENT_FIELDS, type EventDTO } from './shape.ts';

/** A calendar_events row as PostgreSQL returns it (snake_case). */
export type EventRow = Record<string, unknown>;

const DIGIT_0 = 48;
const digits = (s: string, from: number, count: number): number => {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
};

/**
 * PostgreSQL's text form of a timestamptz (DateStyle ISO: `2031-07-07 08:00:00+00`, optionally
 * with fractional seconds and a `+HH`, `+HH:MM` or `+HH:MM:SS` offset), as the database driver
 * hands it over, read without V8's generic date parser (four per event, 1,000 per list page),
 * to the same instant `new Date` gives (which cannot read offsets with seconds at all). Anything
 * else (years before 100 or past 9999, BC, infinity) goes to `new Date`.
 */
export function parseTimestamptz(s: string): Date {
  // Fixed part: YYYY-MM-DD HH:MM:SS
  if (s.length >= 22 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(10) === 32 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
    let i = 19;
    let ms = 0;
    if (s.charCodeAt(i) === 46) {
      // Fractional seconds: milliseconds are the first three digits (Date truncates the rest).
      const start = ++i;
      while (i < s.length && s.charCodeAt(i) >= DIGIT_0 && s.charCodeAt(i) <= DIGIT_0 + 9) i++;
      const frac = s.slice(start, Math.min(i, start + 3)).padEnd(3, '0');
      ms = digits(frac, 0, 3);
    }
    const sign = s.charCodeAt(i) === 43 ? 1 : s.charCodeAt(i) === 45 ? -1 : 0;
    const rest = s.length - i - 1;
    // Offset: +HH, +HH:MM or +HH:MM:SS and nothing after it.
    if (sign !== 0 && (rest === 2 || (rest === 5 && s.charCodeAt(i + 3) === 58) || (rest === 8 && s.charCodeAt(i + 3) === 58 && s.charCodeAt(i + 6) === 58))) {
      const offsetSeconds = digits(s, i + 1, 2) * 3600 + (rest >= 5 ? digits(s, i + 4, 2) * 60 : 0) + (rest === 8 ? digits(s, i + 7, 2) : 0);
      const utc = Date.UTC(digits(s, 0, 4), digits(s, 5, 2) - 1, digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2), ms);
      const year = digits(s, 0, 4);
      // Date.UTC maps years 0-99 to 1900-1999; those (and anything malformed) take the slow path.
      if (Number.isFinite(utc) && Number.isFinite(offsetSeconds) && year >= 100) return new Date(utc - sign * offsetSeconds * 1000);
    }
  }
  return new Date(s);
}
const asDate = (v: unknown): Date => (v instanceof Date ? v : typeof v === 'string' ? parseTimestamptz(v) : new Date(String(v)));
const asText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** How a column's value in a row becomes the field's value, by kind. */
function readerFor(field: Field<unknown>): (v: unknown) => unknown {
  const { kind, nullable, fromJson } = field.column;
  const readers: Record<ColumnKind, (v: unknown) => unknown> = {
    uuid: String,
    text: String,
    enum: String,
    boolean: (v) => v === true,
    timestamptz: asDate,
    jsonb: (v) => (fromJson ?? ((json: unknown) => json))(typeof v === 'string' ? JSON.parse(v) : v),
  };
  const read = readers[kind];
  if (!nullable || kind === 'jsonb') return read;
  return kind === 'timestamptz' ? (v) => (v === null || v === undefined ? null : read(v)) : asText;
}

const API_COLUMNS = entriesOf(EVENT_FIELDS)
  .filter((c) => c.field.api)
  .map((c) => ({ name: c.name, columnName: c.columnName, read: readerFor(c.field) }));

/** The columns toEventDTO reads, for the queries that feed it (not `*`: less to send and parse). */
export const EVENT_COLUMNS = API_COLUMNS.map((c) => c.columnName).join(', ');

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The row -> DTO function, compiled once from the shape into one object literal. A 250-event
 * page maps 4,500 values; assigning them in a loop under computed keys cost about twice the
 * hand-written literal it replaces (measured), while the literal keeps every DTO in one hidden
 * class. The names come from the shape's own table and are checked to be plain identifiers.
 */
function compileRowMapping(columns: typeof API_COLUMNS): (row: EventRow) => EventDTO {
  for (const c of columns) {
    if (!IDENTIFIER.test(c.name) || !IDENTIFIER.test(c.columnName)) throw new Error(`event field ${c.name} (${c.columnName}) is not a plain identifier`);
  }
  const literal = columns.map((c, i) => `${c.name}: read[${i}](row.${c.columnName})`).join(', ');
  const compile = new Function('read', `return function toEventDTO(row) { return { ${literal} }; };`) as (read: Array<(v: unknown) => unknown>) => (row: EventRow) => EventDTO;
  return compile(columns.map((c) => c.read));
}

/**
 * The one mapping from a stored event to what the API returns. Reads go straight from rows to
 * DTOs: hydrating ORM entities cost more than the query itself on a 250-event page.
 */
export const toEventDTO: (row: EventRow) => EventDTO = compileRowMapping(API_COLUMNS);
