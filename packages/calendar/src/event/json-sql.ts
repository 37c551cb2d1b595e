import { entriesOf, type ColumnKind, type Field, type JsonStyle } from './field.ts';
import { isoText, jsonText } from './json-text.ts';
import { EVENT_FIELDS } from './shape.ts';

/**
 * An event's JSON written by PostgreSQL, from the shape: the same text JSON.stringify makes of
 * the API's value (the EventDTO with its Dates as ISO strings, as superjson sends it) or of its
 * REST form, so a list page can travel from the database to the socket without becoming rows,
 * objects and a string again. Text values use to_json (PostgreSQL escapes exactly the characters
 * JSON.stringify does for text a row can hold); the tests compare both byte for byte.
 */

/** A JSON string literal of a (trusted, plain) name. */
const key = (name: string): string => `'"${name}":'`;


const VALUE: Readonly<Record<ColumnKind, (column: string, field: Field<unknown>, style: JsonStyle) => string>> = {
  uuid: (c) => `coalesce('"' || ${c}::text || '"', 'null')`,
  text: (c) => jsonText(c),
  enum: (c) => jsonText(c),
  boolean: (c) => `case when ${c} then 'true' when not ${c} then 'false' else 'null' end`,
  timestamptz: (c) => `coalesce('"' || ${isoText(c)} || '"', 'null')`,
  jsonb: (c, field, style) => {
    if (!field.column.sqlJson) throw new Error(`jsonb column ${c} has no SQL JSON form`);
    return `coalesce(${field.column.sqlJson(c, style)}, 'null')`;
  },
};

const API_FIELDS = entriesOf(EVENT_FIELDS).filter((f) => f.field.api);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
for (const f of API_FIELDS) if (!IDENTIFIER.test(f.name)) throw new Error(`event field ${f.name} is not a plain identifier`);

/**
 * SQL: one event's JSON object as text, over a row of calendar_events named `alias`. Keys in the
 * shape's order (the DTO's), camelCase for the API, the column names for REST.
 */
export function eventJsonSql(style: JsonStyle, alias: string): string {
  const parts = API_FIELDS.map((f, i) => `${i === 0 ? `'{'` : `','`} || ${key(style === 'api' ? f.name : f.columnName)} || ${VALUE[f.field.column.kind](`${alias}.${f.columnName}`, f.field, style)}`);
  return `(${parts.join(' || ')} || '}')`;
}

/**
 * SQL: superjson's annotation of one event (as the API's encoder writes it): `{"startTime":
 * ["Date"], ...}` for each Date field that is not null, in the shape's order.
 */
export function eventDatesSql(alias: string): string {
  const dates = API_FIELDS.filter((f) => f.field.column.kind === 'timestamptz');
  const items = dates.map((f) => (f.field.column.nullable ? `case when ${alias}.${f.columnName} is not null then '"${f.name}":["Date"]' end` : `'"${f.name}":["Date"]'`));
  return `('{' || concat_ws(',', ${items.join(', ')}) || '}')`;
}
