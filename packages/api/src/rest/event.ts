import { CALENDAR_STATES, entriesOf, EVENT_FIELDS, type CalendarStatus, type ColumnKind, type EventDetail, type EventDTO, type EventPage, type Field, type SnakeCase } from '@calsync/calendar';
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

/** One event as getEvent and the writes answer it: the event and its series' rule. */
export const restEventDetail = restEvent.extend({
  recurrence: z
    .array(z.string())
    .nullable()
    .describe("For an occurrence of a recurring meeting: its series' rule (RFC 5545 RRULE, EXDATE, RDATE lines); null for a one-off event"),
});

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
    reason: z
      .string()
      .optional()
      .describe('Where a client acts on it: `calendar_not_connected` (connect the calendar first), or why connecting failed (`domain_not_allowed`, `delegation_not_allowed`, `unknown_user`, ...)'),
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

/** A listEvents page as REST answers it. */
export function toRestEventList(page: EventPage): z.output<typeof restEventList> {
  return { items: page.items.map(toRestEvent), next_cursor: page.nextCursor };
}

export function toRestEventDetail(e: EventDetail): RestEvent & { recurrence: string[] | null } {
  return { ...toRestEvent(e), recurrence: e.recurrence };
}

/** A connected calendar as REST answers it: CalendarStatus in snake_case, times as ISO 8601. */
export const restCalendarStatus = z.object({
  calendar_id: z.string().describe("Google's calendar id (a user's primary calendar: their address)"),
  subject: z.string().nullable().describe('The Workspace user the service account acts as for it (null: the service account itself)'),
  owner_id: z.string().nullable().describe('The user (JWT `sub`) it belongs to; null until they first use it, and for the shared calendar'),
  state: z.enum(CALENDAR_STATES),
  state_reason: z.string().nullable(),
  state_since: z.iso.datetime(),
  failures: z.number().int().describe('Consecutive failures of background work (renewal, reconcile)'),
  retry_at: z.iso.datetime().nullable().describe('When a calendar in error is tried again'),
  last_error: z.string().nullable(),
  last_error_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  channel_expiration: z.iso.datetime().nullable().describe('When its push channel expires (null: not watched)'),
  last_sync_at: z.iso.datetime().nullable(),
  last_notification_at: z.iso.datetime().nullable(),
});
/** True when every key K is a key of T: a CalendarStatus field missing from the REST schema fails to compile. */
type Covers<T, K extends PropertyKey> = [K] extends [keyof T] ? true : never;
const _statusCovered: Covers<z.output<typeof restCalendarStatus>, SnakeCase<keyof CalendarStatus & string>> = true;

export const restConnection = z.object({
  mode: z.enum(['shared', 'delegation']).describe('shared: one calendar every user shares; delegation: each user connects their own'),
  calendar: restCalendarStatus.nullable().describe("The caller's own calendar; null when not connected"),
  can_connect: z.boolean().describe('The caller may connect their own calendar (POST /calendar/connect)'),
  admin: z.boolean(),
});

export const restConnectionList = z.object({
  items: z.array(restCalendarStatus),
  next_cursor: z.string().nullable(),
});
