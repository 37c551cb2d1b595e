import { z } from 'zod';
import { connectInput, createEventInput, disconnectInput, eventIdInput, findSlotsInput, freeBusyInput, listCalendarsInput, listEventsInput, updateEventInput } from '../calendar/schemas.ts';
import { restCalendarStatus, restConnection, restConnectionList, restError, restEvent, restEventDetail, restEventList, restWatchChannel } from './event.ts';
import type { FieldMap } from './fields.ts';
import {
  CONNECT_FIELDS,
  CONNECTIONS_PARAMS,
  CREATE_FIELDS,
  DISCONNECT_FIELDS,
  FIND_SLOTS_FIELDS,
  FREE_BUSY_FIELDS,
  LIST_PARAMS,
  NESTED_FIELDS,
  REST_OPERATIONS,
  UPDATE_FIELDS,
  type RestOperationId,
} from './operations.ts';

// The optional procedure inputs, as the objects they are when given.
const connectSchema = connectInput.unwrap();
const disconnectSchema = disconnectInput.unwrap();
const listCalendarsSchema = listCalendarsInput.unwrap();

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema (2020-12, OpenAPI 3.1's dialect) of a zod schema as a caller sends it. Dates, which
 * travel as ISO 8601 strings, say so; everything else (lengths, email format, unknown fields
 * refused) comes from the procedures' own schemas, so the document cannot drift from them.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out: JsonSchema = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override(ctx) {
      if (ctx.zodSchema._zod.def.type === 'date') {
        ctx.jsonSchema.type = 'string';
        ctx.jsonSchema.format = 'date-time';
        ctx.jsonSchema.description = 'ISO 8601 date-time with a UTC offset, e.g. 2031-03-10T14:00:00Z';
      }
    },
  });
  delete out.$schema;
  return out;
}

/** An object schema of a procedure input, under the REST names and in the REST field order. */
function restObjectSchema(schema: z.ZodType, fields: FieldMap): JsonSchema {
  const source = jsonSchema(schema, 'input');
  const properties = (source.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((source.required ?? []) as string[]);
  const out: Record<string, JsonSchema> = {};
  for (const [rest, input] of Object.entries(fields)) {
    const property = properties[input];
    const nested = NESTED_FIELDS[rest];
    if (property && nested) out[rest] = renamed(property, nested);
    else if (property) out[rest] = property;
  }
  const requiredRest = Object.entries(fields)
    .filter(([, input]) => required.has(input))
    .map(([rest]) => rest);
  return { type: 'object', properties: out, ...(requiredRest.length > 0 ? { required: requiredRest } : {}), additionalProperties: false };
}

/** An object property's schema with its own properties under their REST names (e.g. `links`). */
function renamed(schema: JsonSchema, fields: FieldMap): JsonSchema {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const toRest = new Map(Object.entries(fields).map(([rest, input]) => [input, rest]));
  return { ...schema, properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [toRest.get(k) ?? k, v])) };
}

const range = { type: 'object', properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } }, required: ['start', 'end'], additionalProperties: false };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });

const ERROR_RESPONSES = {
  BadRequest: 'Invalid input: `error.fields` names each wrong field (snake_case) and says what is wrong.',
  Unauthorized: 'No valid Bearer token.',
  Forbidden: "Google refused (e.g. Meet links or attendees without domain-wide delegation); the message says how to fix the deployment.",
  NotFound: 'No such event.',
  Conflict: 'The idempotency key was used for a different event, or another change of this calendar is in progress.',
  PreconditionFailed: 'If-Match did not match: the event changed meanwhile. Nothing was written; read it again.',
  TooManyRequests: 'Rate limit (ours or Google\'s). Retry after the number of seconds in `Retry-After`.',
  ServiceUnavailable: 'Google is unavailable; the request may be retried.',
} as const;
type ErrorResponse = keyof typeof ERROR_RESPONSES;
const STATUS: Record<ErrorResponse, string> = {
  BadRequest: '400',
  Unauthorized: '401',
  Forbidden: '403',
  NotFound: '404',
  Conflict: '409',
  PreconditionFailed: '412',
  TooManyRequests: '429',
  ServiceUnavailable: '503',
};

function errors(...names: ErrorResponse[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [STATUS[n], { $ref: `#/components/responses/${n}` }]));
}

/** Which occurrences of a recurring meeting an update or cancel is for. */
function scopeParameter() {
  return {
    name: 'scope',
    in: 'query',
    required: false,
    description:
      'For an occurrence of a recurring meeting: `instance` (default) changes this occurrence only; `following` this one and the ones after it (the series is split here, as Google Calendar does); `series` all of them. A one-off event takes `instance`.',
    schema: jsonSchema(updateEventInput.shape.scope, 'input'),
  };
}

function eventIdParameter() {
  return { name: 'id', in: 'path', required: true, description: 'The event id returned by this API (`id`, not `google_event_id`).', schema: jsonSchema(eventIdInput.shape.id, 'input') };
}

/** Admins name any connected calendar; anyone else only their own (what leaving it out means). */
function calendarIdParameter() {
  return {
    name: 'calendar_id',
    in: 'query',
    required: false,
    description: "The calendar to act on: admins may name any connected calendar, anyone else only their own (the default). Another user's calendar answers 404.",
    schema: { type: 'string', minLength: 1, maxLength: 1024 },
  };
}

const ALWAYS: ErrorResponse[] = ['BadRequest', 'Unauthorized', 'TooManyRequests'];

/** What each operation says in the document; keyed by operation so none can be left out. */
function describe(id: RestOperationId): Record<string, unknown> {
  const eventResponse = (description: string) => ({ description, headers: { ETag: { description: "The event's etag (also in the body)", schema: { type: 'string' } } }, content: json(ref('EventDetail')) });
  switch (id) {
    case 'createEvent':
      return {
        summary: 'Create an event (with a Google Meet link by default)',
        description:
          'Creates the event in Google and stores Google\'s answer. A retried create with the same idempotency key (body `idempotency_key` or the `Idempotency-Key` header) makes exactly one event and answers it again.',
        parameters: [
          { name: 'Idempotency-Key', in: 'header', required: false, description: 'Same as `idempotency_key` in the body; when both are given they must be equal.', schema: { type: 'string', minLength: 1, maxLength: 255 } },
          calendarIdParameter(),
        ],
        requestBody: { required: true, content: json(ref('CreateEventBody')) },
        responses: {
          '201': { ...eventResponse('The created event'), headers: { Location: { description: "The event's URL", schema: { type: 'string' } } } },
          ...errors(...ALWAYS, 'Forbidden', 'Conflict', 'ServiceUnavailable'),
        },
      };
    case 'listEvents': {
      const schema = restObjectSchema(listEventsInput, LIST_PARAMS);
      const properties = schema.properties as Record<string, JsonSchema>;
      const required = new Set(schema.required as string[]);
      return {
        summary: 'List the events of a time window (from our database, no Google call)',
        description:
          'Events overlapping [time_min, time_max) that are not cancelled, ordered by start, at most 366 days per window; page with `cursor` = the previous answer\'s `next_cursor`.',
        parameters: Object.entries(properties).map(([name, s]) => ({ name, in: 'query', required: required.has(name), schema: s })),
        responses: { '200': { description: 'One page of events', content: json(ref('EventList')) }, ...errors(...ALWAYS) },
      };
    }
    case 'getEvent':
      return {
        summary: 'Get one event (cancelled ones too); an occurrence tells its series and the series\' rule',
        parameters: [eventIdParameter(), calendarIdParameter()],
        responses: { '200': eventResponse('The event'), ...errors(...ALWAYS, 'NotFound') },
      };
    case 'updateEvent':
      return {
        summary: 'Change an event (partial)',
        description: 'Patches the event in Google, then stores Google\'s answer. Fields left out stay as they are; `null` clears description, location and time_zone.',
        parameters: [
          eventIdParameter(),
          scopeParameter(),
          calendarIdParameter(),
          { name: 'If-Match', in: 'header', required: false, description: "The event's etag as last read: the change is refused with 412 (and nothing is written) if the event changed meanwhile.", schema: { type: 'string' } },
        ],
        requestBody: { required: true, content: json(ref('UpdateEventBody')) },
        responses: { '200': eventResponse('The changed event, with its new etag'), ...errors(...ALWAYS, 'Forbidden', 'NotFound', 'PreconditionFailed', 'ServiceUnavailable') },
      };
    case 'cancelEvent':
      return {
        summary: 'Cancel (delete) an event',
        description:
          'Deletes the event in Google. The answer is 200 with the event (status `cancelled`) rather than 204: the record stays, and callers learn its final state. Repeating it is harmless.',
        parameters: [eventIdParameter(), scopeParameter(), calendarIdParameter()],
        responses: { '200': eventResponse('The cancelled event'), ...errors(...ALWAYS, 'NotFound', 'ServiceUnavailable') },
      };
    case 'watch':
      return {
        summary: 'Watch the calendar for changes made in Google (push sync)',
        description: "Opens a push channel, replacing the current one safely, and syncs so the local copy is complete. Body: none or `{}`.",
        parameters: [calendarIdParameter()],
        requestBody: { required: false, content: json({ type: 'object', additionalProperties: false }) },
        responses: { '200': { description: 'The open channel', content: json(ref('WatchChannel')) }, ...errors(...ALWAYS, 'Forbidden', 'ServiceUnavailable') },
      };
    case 'connection':
      return {
        summary: 'Your own calendar: connected or not, and whether you may connect it',
        responses: { '200': { description: 'The connection', content: json(ref('Connection')) }, ...errors(...ALWAYS) },
      };
    case 'connect':
      return {
        summary: 'Connect your Google Workspace calendar (admins: any user\'s, by `user_email`)',
        description:
          'Checks with Google that domain-wide delegation works for the user, opens the push channel and syncs. Idempotent. Refusals name the fix: `domain_not_allowed`, `delegation_not_allowed` (Admin console set-up), `unknown_user`, `no_email`, `not_admin`, `shared_mode` in `error.reason`.',
        requestBody: { required: false, content: json(ref('ConnectBody')) },
        responses: { '200': { description: 'The connected calendar', content: json(ref('CalendarStatus')) }, ...errors(...ALWAYS, 'Forbidden', 'NotFound', 'ServiceUnavailable') },
      };
    case 'disconnect':
      return {
        summary: 'Disconnect your calendar (admins: any, by `calendar_id`)',
        description: 'Stops its push channel and marks it disconnected; its stored events are deleted unless `keep_events`.',
        requestBody: { required: false, content: json(ref('DisconnectBody')) },
        responses: { '200': { description: 'The disconnected calendar', content: json(ref('CalendarStatus')) }, ...errors(...ALWAYS, 'Forbidden', 'NotFound') },
      };
    case 'freeBusy':
      return {
        summary: 'Busy time of you or your colleagues (from our database, no Google call)',
        description:
          'Merged busy intervals within [time_min, time_max) per user (`users`: Google addresses; default you). Meetings shown as free and declined invitations are not busy; all-day events cover their days in `time_zone`. A user with no connected calendar has `error: "notConnected"`.',
        parameters: [calendarIdParameter()],
        requestBody: { required: true, content: json(ref('FreeBusyBody')) },
        responses: { '200': { description: 'Busy intervals per user', content: json(ref('FreeBusy')) }, ...errors(...ALWAYS) },
      };
    case 'findSlots':
      return {
        summary: 'The first free slots shared by everyone named (from our database, no Google call)',
        description:
          'Slots of `duration` minutes in [time_min, time_max) where every user is free, within `working_hours` in `time_zone` (default 09:00-17:00, Monday to Friday), keeping `buffer` minutes around meetings, starting on multiples of `step` minutes.',
        parameters: [calendarIdParameter()],
        requestBody: { required: true, content: json(ref('FindSlotsBody')) },
        responses: { '200': { description: 'The slots, earliest first', content: json(ref('Slots')) }, ...errors(...ALWAYS) },
      };
    case 'listConnections': {
      const schema = restObjectSchema(listCalendarsSchema, CONNECTIONS_PARAMS);
      const properties = schema.properties as Record<string, JsonSchema>;
      return {
        summary: 'Connected calendars with their state, channel expiry, last sync and last error (admins)',
        parameters: Object.entries(properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s })),
        responses: { '200': { description: 'One page of connected calendars', content: json(ref('ConnectionList')) }, ...errors(...ALWAYS, 'Forbidden') },
      };
    }
  }
}

/** The OpenAPI 3.1 document of the REST endpoints, built from the procedures' zod schemas. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of REST_OPERATIONS) {
    (paths[op.path] ??= {})[op.method] = { operationId: op.operationId, 'x-trpc-procedure': op.procedure, tags: ['calendar'], ...describe(op.operationId) };
  }
  const updateBody = restObjectSchema(updateEventInput, UPDATE_FIELDS);
  return {
    openapi: '3.1.0',
    info: {
      title: 'calsync REST API',
      version: '1.0.0',
      description:
        'The seed\'s REST API, served by the same procedures as the tRPC API (`/trpc/calendar.*`). Field names are snake_case; times are ISO 8601 strings. Errors are `{"error": {"code", "message", "fields"?}}`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    tags: [{ name: 'calendar', description: 'Connected calendars and their events' }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The same JWT the tRPC API takes; `sub` is the user id.' } },
      schemas: {
        Event: jsonSchema(restEvent, 'output'),
        EventDetail: { allOf: [ref('Event'), { type: 'object', properties: { recurrence: (jsonSchema(restEventDetail, 'output').properties as Record<string, unknown>).recurrence }, required: ['recurrence'] }] },
        EventList: { ...jsonSchema(restEventList, 'output'), properties: { items: { type: 'array', items: ref('Event') }, next_cursor: (jsonSchema(restEventList, 'output').properties as Record<string, unknown>).next_cursor } },
        WatchChannel: jsonSchema(restWatchChannel, 'output'),
        CreateEventBody: restObjectSchema(createEventInput, CREATE_FIELDS),
        UpdateEventBody: { ...updateBody, description: 'Any subset of the fields; times must stay end after start.' },
        Error: jsonSchema(restError, 'output'),
        CalendarStatus: jsonSchema(restCalendarStatus, 'output'),
        Connection: { ...jsonSchema(restConnection, 'output'), properties: { ...(jsonSchema(restConnection, 'output').properties as Record<string, unknown>), calendar: { anyOf: [ref('CalendarStatus'), { type: 'null' }] } } },
        ConnectionList: { ...jsonSchema(restConnectionList, 'output'), properties: { items: { type: 'array', items: ref('CalendarStatus') }, next_cursor: { type: ['string', 'null'] } } },
        ConnectBody: restObjectSchema(connectSchema, CONNECT_FIELDS),
        DisconnectBody: restObjectSchema(disconnectSchema, DISCONNECT_FIELDS),
        FreeBusyBody: restObjectSchema(freeBusyInput, FREE_BUSY_FIELDS),
        FindSlotsBody: restObjectSchema(findSlotsInput, FIND_SLOTS_FIELDS),
        FreeBusy: {
          type: 'object',
          properties: {
            time_min: { type: 'string', format: 'date-time' },
            time_max: { type: 'string', format: 'date-time' },
            calendars: {
              type: 'array',
              items: {
                type: 'object',
                properties: { user: { type: 'string' }, busy: { type: 'array', items: range }, error: { type: ['string', 'null'], enum: ['notConnected', null] } },
                required: ['user', 'busy', 'error'],
                additionalProperties: false,
              },
            },
          },
          required: ['time_min', 'time_max', 'calendars'],
          additionalProperties: false,
        },
        Slots: { type: 'object', properties: { slots: { type: 'array', items: range }, users: { type: 'array', items: { type: 'string' } } }, required: ['slots', 'users'], additionalProperties: false },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([name, description]) => [
          name,
          {
            description,
            ...(name === 'TooManyRequests' ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
            content: json(ref('Error')),
          },
        ]),
      ),
    },
  };
}
