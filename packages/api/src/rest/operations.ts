import { entriesOf, EVENT_FIELDS, joinUtf8, snakeCase, type EventDetail, type EventLinks, type FreeBusyAnswer, type SlotsAnswer, type TimeRange } from '@calsync/calendar';
import { GoogleApiError } from '@calsync/google';
import { getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Context } from '../context.ts';
import { reasonOf } from '../errors.ts';
import { listEventsJson } from '../calendar/page-text.ts';
import { createCaller, type RouterInputs } from '../root.ts';
import { errorBody, errorMessage, type FieldError } from '../error-body.ts';
import { fieldErrorsOf } from '../trpc.ts';
import { toRestEventDetail } from './event.ts';
import { FieldNaming, RestInputError, type FieldMap } from './fields.ts';

type Inputs = RouterInputs['calendar'];

const WRITABLE = entriesOf(EVENT_FIELDS).filter((f) => f.field.write !== undefined);

/** The REST names of the fields callers may set (the event shape's writable fields, snake_case). */
const WRITE_FIELDS: FieldMap = Object.fromEntries(WRITABLE.map((f) => [f.columnName, f.name]));

/** The REST body's names for the procedures' inputs. */
export const CREATE_FIELDS: FieldMap = {
  ...WRITE_FIELDS,
  ...({ recurrence: 'recurrence', create_meet_link: 'createMeetLink', idempotency_key: 'idempotencyKey' } as const satisfies Record<string, keyof Inputs['createEvent']>),
};
export const UPDATE_FIELDS: FieldMap = { ...WRITE_FIELDS, ...({ recurrence: 'recurrence' } as const satisfies Record<string, keyof Inputs['updateEvent']>) };
export const LIST_PARAMS = { time_min: 'timeMin', time_max: 'timeMax', limit: 'limit', cursor: 'cursor', calendar_id: 'calendarId', deal_id: 'dealId', contact_id: 'contactId' } as const satisfies Record<
  string,
  keyof Inputs['listEvents']
>;
/** The nested fields of `links` (a meeting's CRM records), REST name -> input name. */
export const LINK_FIELDS = { deal_id: 'dealId', contact_ids: 'contactIds', company_id: 'companyId' } as const satisfies Record<string, keyof EventLinks>;
/** Body fields whose value is an object with REST names of its own. */
export const NESTED_FIELDS: Readonly<Record<string, FieldMap>> = { links: LINK_FIELDS };

export const FREE_BUSY_FIELDS = { time_min: 'timeMin', time_max: 'timeMax', users: 'users', time_zone: 'timeZone' } as const satisfies Record<string, keyof Inputs['freeBusy']>;
export const FIND_SLOTS_FIELDS = {
  duration: 'duration',
  time_min: 'timeMin',
  time_max: 'timeMax',
  users: 'users',
  working_hours: 'workingHours',
  time_zone: 'timeZone',
  buffer: 'buffer',
  step: 'step',
  limit: 'limit',
} as const satisfies Record<string, keyof Inputs['findSlots']>;

const DATE_FIELDS: ReadonlySet<string> = new Set([
  ...WRITABLE.filter((f) => f.field.column.kind === 'timestamptz').map((f) => f.columnName),
  ...(['time_min', 'time_max'] satisfies Array<keyof typeof LIST_PARAMS>),
]);

export type RestMethod = 'get' | 'post' | 'patch' | 'delete';

/** What the REST routes need of an HTTP request, whatever the framework. */
export interface RestRequest {
  params: Readonly<Record<string, unknown>>;
  query: unknown;
  body: unknown;
  /** A request header (lower-case name), undefined when absent. */
  header(name: string): string | undefined;
}

export interface RestResponse {
  status: number;
  /** The answer's value, or (`json`) its JSON (UTF-8), written as it is. */
  body: unknown;
  json?: Buffer | undefined;
  headers: Record<string, string>;
}

type Caller = ReturnType<typeof createCaller>;

export interface RestOperation {
  operationId: RestOperationId;
  method: RestMethod;
  /** OpenAPI form: `/calendar/events/{id}`. */
  path: string;
  /** The procedure it calls: the one home of the behaviour. */
  procedure: `calendar.${keyof Inputs & string}`;
  fields: FieldMap;
  run(caller: Caller, req: RestRequest, naming: FieldNaming, ctx: Context): Promise<RestResponse>;
}

export const CONNECT_FIELDS = { user_email: 'userEmail' } as const satisfies Record<string, keyof Exclude<Inputs['connect'], void | undefined>>;
export const DISCONNECT_FIELDS = { calendar_id: 'calendarId', keep_events: 'keepEvents' } as const satisfies Record<string, keyof Exclude<Inputs['disconnect'], void | undefined>>;
export const CONNECTIONS_PARAMS = { state: 'state', limit: 'limit', cursor: 'cursor' } as const satisfies Record<string, keyof Exclude<Inputs['calendars'], void | undefined>>;

export type RestOperationId =
  | 'createEvent'
  | 'listEvents'
  | 'getEvent'
  | 'updateEvent'
  | 'cancelEvent'
  | 'watch'
  | 'connection'
  | 'connect'
  | 'disconnect'
  | 'listConnections'
  | 'freeBusy'
  | 'findSlots';

const bodyValue = (naming: FieldNaming) => (name: string, value: unknown) => {
  if (DATE_FIELDS.has(name)) return naming.date(name, value);
  const nested = NESTED_FIELDS[name];
  return nested ? naming.nested(name, nested, value) : value;
};

const isoRange = (r: TimeRange) => ({ start: r.start.toISOString(), end: r.end.toISOString() });

function restFreeBusy(a: FreeBusyAnswer) {
  return { time_min: a.timeMin.toISOString(), time_max: a.timeMax.toISOString(), calendars: a.calendars.map((c) => ({ user: c.user, busy: c.busy.map(isoRange), error: c.error })) };
}

function restSlots(a: SlotsAnswer) {
  return { slots: a.slots.map(isoRange), users: a.users };
}

/** Google's etags are quoted strings, i.e. valid HTTP entity tags: usable as the ETag header. */
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e]*"$/;

function eventResponse(status: number, event: EventDetail): RestResponse {
  return { status, body: toRestEventDetail(event), headers: event.etag && ENTITY_TAG.test(event.etag) ? { etag: event.etag } : {} };
}

/**
 * `?calendar_id=`: the calendar a call is on (admins: any connected calendar; anyone else only
 * their own, which is also what leaving it out means).
 */
function calendarParam(req: RestRequest, naming: FieldNaming): { calendarId?: unknown } {
  naming.alias('calendarId', 'calendar_id');
  const value = typeof req.query === 'object' && req.query !== null ? (req.query as Record<string, unknown>).calendar_id : undefined;
  return value === undefined ? {} : { calendarId: naming.single('calendar_id', value) };
}

/**
 * `?scope=`: which occurrences of a recurring meeting an update or cancel is for (`instance`,
 * the default; `following`; `series`).
 */
function scopeParam(req: RestRequest, naming: FieldNaming): { scope?: unknown } {
  naming.alias('scope', 'scope');
  const value = typeof req.query === 'object' && req.query !== null ? (req.query as Record<string, unknown>).scope : undefined;
  return value === undefined ? {} : { scope: naming.single('scope', value) };
}

/** An object's keys in snake_case and its Dates as ISO 8601 strings, one level deep into nested objects. */
function restObject(value: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      snakeCase(k),
      v instanceof Date ? v.toISOString() : typeof v === 'object' && v !== null && !Array.isArray(v) ? restObject(v) : v,
    ]),
  );
}

/** A query parameter as its input: a single string, an integer for `limit`. */
const queryValue = (naming: FieldNaming) => (name: string, value: unknown) => {
  const single = naming.single(name, value);
  if (typeof single !== 'string') return single;
  if (DATE_FIELDS.has(name)) return naming.date(name, single);
  return name === 'limit' ? naming.integer(name, single) : single;
};

function pathId(req: RestRequest): string {
  const id = req.params.id;
  // Anything but one string is no event id: the procedure then answers 400 naming `id`.
  return typeof id === 'string' ? id : '';
}

/*
 * The casts below hand the translated, still unvalidated values to the procedure: its own input
 * schema validates them, exactly as for a tRPC call.
 */
export const REST_OPERATIONS: readonly RestOperation[] = [
  {
    operationId: 'createEvent',
    method: 'post',
    path: '/calendar/events',
    procedure: 'calendar.createEvent',
    fields: CREATE_FIELDS,
    async run(caller, req, naming) {
      const input = naming.translate(req.body, 'body', bodyValue(naming));
      const header = req.header('idempotency-key');
      if (header !== undefined) {
        if (input.idempotencyKey !== undefined && input.idempotencyKey !== header) {
          throw new RestInputError([{ field: 'idempotency_key', message: 'differs from the Idempotency-Key header' }]);
        }
        input.idempotencyKey = header;
      }
      const event = await caller.calendar.createEvent({ ...input, ...calendarParam(req, naming) } as Inputs['createEvent']);
      const res = eventResponse(201, event);
      return { ...res, headers: { ...res.headers, location: `/calendar/events/${event.id}` } };
    },
  },
  {
    operationId: 'listEvents',
    method: 'get',
    path: '/calendar/events',
    procedure: 'calendar.listEvents',
    fields: LIST_PARAMS,
    async run(_caller, req, naming, ctx) {
      const input = naming.translate(req.query, 'query', queryValue(naming));
      // calendar.listEvents, its page written as JSON by PostgreSQL (see page-text.ts).
      return { status: 200, body: undefined, json: joinUtf8(await listEventsJson(ctx, input, 'rest')), headers: {} };
    },
  },
  {
    operationId: 'getEvent',
    method: 'get',
    path: '/calendar/events/{id}',
    procedure: 'calendar.getEvent',
    fields: {},
    async run(caller, req, naming) {
      return eventResponse(200, await caller.calendar.getEvent({ id: pathId(req), ...calendarParam(req, naming) } as Inputs['getEvent']));
    },
  },
  {
    operationId: 'updateEvent',
    method: 'patch',
    path: '/calendar/events/{id}',
    procedure: 'calendar.updateEvent',
    fields: UPDATE_FIELDS,
    async run(caller, req, naming) {
      const input = naming.translate(req.body, 'body', bodyValue(naming));
      naming.alias('expectedEtag', 'If-Match');
      const ifMatch = req.header('if-match')?.trim();
      // `*` means "whatever the current version is": the same as not asking for a check.
      const expectedEtag = ifMatch === undefined || ifMatch === '*' ? {} : { expectedEtag: ifMatch };
      const event = await caller.calendar.updateEvent({ ...input, ...expectedEtag, id: pathId(req), ...scopeParam(req, naming), ...calendarParam(req, naming) } as Inputs['updateEvent']);
      return eventResponse(200, event);
    },
  },
  {
    operationId: 'cancelEvent',
    method: 'delete',
    path: '/calendar/events/{id}',
    procedure: 'calendar.cancelEvent',
    fields: {},
    async run(caller, req, naming) {
      // 200 with the event rather than 204: the row stays (status cancelled), and callers that
      // keep a copy get its final etag and status from the same answer. Repeating it is harmless.
      return eventResponse(200, await caller.calendar.cancelEvent({ id: pathId(req), ...scopeParam(req, naming), ...calendarParam(req, naming) } as Inputs['cancelEvent']));
    },
  },
  {
    operationId: 'watch',
    method: 'post',
    path: '/calendar/watch',
    procedure: 'calendar.watch',
    fields: {},
    async run(caller, req, naming) {
      naming.translate(req.body, 'body', (_name, value) => value);
      const channel = await caller.calendar.watch(calendarParam(req, naming) as Inputs['watch']);
      return {
        status: 200,
        body: { channel_id: channel.channelId, resource_id: channel.resourceId, expiration: channel.expiration.toISOString() },
        headers: {},
      };
    },
  },
  {
    operationId: 'connection',
    method: 'get',
    path: '/calendar/connection',
    procedure: 'calendar.connection',
    fields: {},
    async run(caller) {
      return { status: 200, body: restObject(await caller.calendar.connection()), headers: {} };
    },
  },
  {
    operationId: 'connect',
    method: 'post',
    path: '/calendar/connect',
    procedure: 'calendar.connect',
    fields: CONNECT_FIELDS,
    async run(caller, req, naming) {
      const input = naming.translate(req.body, 'body', (_name, value) => value);
      return { status: 200, body: restObject(await caller.calendar.connect(input as Inputs['connect'])), headers: {} };
    },
  },
  {
    operationId: 'disconnect',
    method: 'post',
    path: '/calendar/disconnect',
    procedure: 'calendar.disconnect',
    fields: DISCONNECT_FIELDS,
    async run(caller, req, naming) {
      const input = naming.translate(req.body, 'body', (_name, value) => value);
      return { status: 200, body: restObject(await caller.calendar.disconnect(input as Inputs['disconnect'])), headers: {} };
    },
  },
  {
    operationId: 'listConnections',
    method: 'get',
    path: '/calendar/connections',
    procedure: 'calendar.calendars',
    fields: CONNECTIONS_PARAMS,
    async run(caller, req, naming) {
      const input = naming.translate(req.query, 'query', queryValue(naming));
      const page = await caller.calendar.calendars(input as Inputs['calendars']);
      return { status: 200, body: { items: page.items.map(restObject), next_cursor: page.nextCursor }, headers: {} };
    },
  },
  {
    operationId: 'freeBusy',
    method: 'post',
    path: '/calendar/free-busy',
    procedure: 'calendar.freeBusy',
    fields: FREE_BUSY_FIELDS,
    async run(caller, req, naming) {
      const input = naming.translate(req.body, 'body', bodyValue(naming));
      return { status: 200, body: restFreeBusy(await caller.calendar.freeBusy({ ...input, ...calendarParam(req, naming) } as Inputs['freeBusy'])), headers: {} };
    },
  },
  {
    operationId: 'findSlots',
    method: 'post',
    path: '/calendar/find-slots',
    procedure: 'calendar.findSlots',
    fields: FIND_SLOTS_FIELDS,
    async run(caller, req, naming) {
      const input = naming.translate(req.body, 'body', bodyValue(naming));
      return { status: 200, body: restSlots(await caller.calendar.findSlots({ ...input, ...calendarParam(req, naming) } as Inputs['findSlots'])), headers: {} };
    },
  },
];

/** A REST answer for any failure, with the status tRPC gives the same error code. */
export function restErrorResponse(err: unknown, naming: FieldNaming = new FieldNaming({})): { response: RestResponse; error: TRPCError } {
  const error = err instanceof RestInputError ? new TRPCError({ code: 'BAD_REQUEST', message: err.message, cause: err }) : getTRPCErrorFromUnknown(err);
  // A RestInputError already speaks REST names; only the procedure's errors are renamed.
  const raw: FieldError[] | undefined = fieldErrorsOf(error);
  const fields = error.cause instanceof RestInputError ? error.cause.fields : raw ? naming.fieldErrors(raw) : undefined;
  const headers: Record<string, string> = {};
  if (error.code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer';
  const retryAfterMs = error.cause instanceof GoogleApiError ? error.cause.details.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return {
    response: { status: getHTTPStatusCodeFromError(error), body: errorBody(error.code, errorMessage(error.code, naming.message(error.message), fields), fields, reasonOf(error)), headers },
    error,
  };
}

/**
 * Runs one REST operation as the context's user: through the same procedure (and so the same
 * authentication check, validation, error mapping and domain code) a tRPC call would reach.
 */
export async function runRestOperation(op: RestOperation, ctx: Context, req: RestRequest): Promise<{ response: RestResponse; error?: TRPCError }> {
  const naming = new FieldNaming(op.fields);
  try {
    return { response: await op.run(createCaller(ctx), req, naming, ctx) };
  } catch (err) {
    return restErrorResponse(err, naming);
  }
}
