import { entriesOf, EVENT_FIELDS, type ColumnKind, type EventDTO, type Field, type SnakeCase } from '@calsync/calendar';
import { z } from 'zod';

type ApiKey = keyof EventDTO & string;
type RestValue<V> = V extends Date ? string : V extends Date | null ? string | null : V extends object ? unknown : V;

/** The event as the seed's REST API answers it: the EventDTO in snake_case with ISO 8601 strings. */
export type RestEvent = { [K in ApiKey as SnakeCase<K>]: RestValue<EventDTO[K]> };

const API_FIELDS = entriesOf(EVENT_FIELDS).filter((f) => f.field.api);

const REST_SCHEMAS: Readonly<Record<ColumnKind, (field: Field<unknown>) => z.ZodType>> = {
  uuid: () => z.uuid(),
  text: () => z.string(),
  enum: (field) => z.enum(field.column.values ?? []),
  boolean: () => z.boolean(),
  timestamptz: () => z.iso.datetime(),
  jsonb: (field) => field.column.rest?.schema ?? z.unknown(),
};

function restSchemaOf(field: Field<unknown>): z.ZodType {
  const schema = REST_SCHEMAS[field.column.kind](field);
  const nullable = field.column.nullable ? schema.nullable() : schema;
  return field.column.description ? nullable.describe(field.column.description) : nullable;
}

/**
 * The REST event's schema, derived from the event shape (the OpenAPI document is generated from
 * it): every field the API returns, under its column name.
 */
export const restEvent = z.object(Object.fromEntries(API_FIELDS.map((f) => [f.columnName, restSchemaOf(f.field)])));

export const restEventList = z.object({
  items: z.array(restEvent),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export const restWatchChannel = z.object({
  channel_id: z.string(),
  resource_id: z.string(),
  expiration: z.iso.datetime(),
});

export const restError = z.object({
  error: z.object({
    code: z.string().describe('The tRPC error code, e.g. BAD_REQUEST, UNAUTHORIZED, PRECONDITION_FAILED'),
    message: z.string(),
    fields: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('For BAD_REQUEST: each wrong field (snake_case, `attendees.1` for list items)'),
  }),
});

/** How each field's value looks in REST: Dates as ISO 8601 strings, JSON in its REST form. */
const REST_FIELDS = API_FIELDS.map(({ name, columnName, field }) => ({
  name,
  columnName,
  encode:
    field.column.kind === 'timestamptz'
      ? (v: unknown) => (v instanceof Date ? v.toISOString() : null)
      : field.column.kind === 'jsonb' && field.column.rest
        ? field.column.rest.encode
        : (v: unknown) => v,
}));

export function toRestEvent(e: EventDTO): RestEvent {
  const values = e as Readonly<Record<string, unknown>>;
  const rest: Record<string, unknown> = {};
  for (const f of REST_FIELDS) rest[f.columnName] = f.encode(values[f.name]);
  return rest as RestEvent;
}
