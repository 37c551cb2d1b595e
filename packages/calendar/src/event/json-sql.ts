import { entriesOf, type ColumnKind, type Field } from './field.ts';
import { isoText, jsonText } from './json-text.ts';
import { EVENT_FIELDS } from './shape.ts';

/**
 * An event's JSON written by PostgreSQL, from the shape: the same text JSON.stringify makes of
 * the API's value (the EventDTO with its Dates as ISO strings, as superjson sends it), so a list
 * page can travel from the database to the socket without becoming rows, objects and a string
 * again. Text values use to_json (PostgreSQL escapes exactly the characters
 * JSON.stringify does for text a row can hold); the tests compare both byte for byte.
 */

/** A JSON string literal of a (trusted, plain) name. */
const key = (name: string): string => `'"${name}":'`;


const VALUE: Readonly<Record<ColumnKind, (column: string, field: Field<unknown>) => string>> = {
  uuid: (c) => `coalesce('"' || ${c}::text || '"', 'null')`,
  text: (c) => jsonText(c),
  enum: (c) => jsonText(c),
  boolean: (c) => `case when ${c} then 'true' when not ${c} then 'false' else 'null' end`,
  timestamptz: (c) => `coalesce('"' || ${isoText(c)} || '"', 'null')`,
  jsonb: (c, field) => {
    if (!field.column.sqlJson) throw new Error(`jsonb column ${c} has no SQL JSON form`);
    return `coalesce(${field.column.sqlJson(c)}, 'null')`;
  },
};

const API_FIELDS = entriesOf(EVENT_FIELDS).filter((f) => f.field.api);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
for (const f of API_FIELDS) if (!IDENTIFIER.test(f.name)) throw new Error(`event field ${f.name} is not a plain identifier`);

/**
 * SQL: one event's JSON object in the API's form as text, over a row of calendar_events named
 * `alias`, keys in the shape's order (the DTO's).
 */
export function eventJsonSql(alias: string): string {
  const parts = API_FIELDS.map((f, i) => `${i === 0 ? `'{'` : `','`} || ${key(f.name)} || ${VALUE[f.field.column.kind](`${alias}.${f.columnName}`, f.field)}`);
  return `(${parts.join(' || ')} || '}')`;
}

const NULLABLE_DATES = API_FIELDS.filter((f) => f.field.column.kind === 'timestamptz' && f.field.column.nullable);
if (NULLABLE_DATES.length > 8) throw new Error('too many nullable Date fields for a date mask');

/** SQL: which of the event's nullable Date fields are set, as a bitmask (bit i: the i-th, in the shape's order). */
export function eventDateMaskSql(alias: string): string {
  return NULLABLE_DATES.length === 0 ? '0' : NULLABLE_DATES.map((f, i) => `(case when ${alias}.${f.columnName} is not null then ${1 << i} else 0 end)`).join(' + ');
}

/**
 * superjson's annotation of one event (`{"startTime":["Date"],...}`: each Date field that is not
 * null, in the shape's order, as the API's encoder writes it), by date mask (eventDateMaskSql).
 */
export const DATE_ANNOTATIONS: readonly string[] = Array.from({ length: 1 << NULLABLE_DATES.length }, (_, mask) => {
  const set = API_FIELDS.filter((f) => f.field.column.kind === 'timestamptz' && (!f.field.column.nullable || (mask & (1 << NULLABLE_DATES.indexOf(f))) !== 0));
  return `{${set.map((f) => `"${f.name}":["Date"]`).join(',')}}`;
});

/** The column holding each event's API JSON, kept by a trigger (see eventJsonTriggerSql). */
export const API_JSON_COLUMN = 'api_json';

/**
 * The body of the trigger (declared on the entity, see entity.ts) that keeps `api_json` (the
 * event's JSON in the API's form, as eventJsonSql writes it) up to date on every insert and update
 * of calendar_events, whichever code writes the row. Writing the JSON once per write instead of
 * once per read is what makes a list page cheap: PostgreSQL then joins stored text. The schema
 * test fails when the shape changes and no migration installs the new body.
 */
export function apiJsonTriggerBody(): string {
  return `new.${API_JSON_COLUMN} := ${eventJsonSql('new')}; return new;`;
}
