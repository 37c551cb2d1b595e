import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import superjson from 'superjson';
import { expect } from 'vitest';
import { TEST_JWT_SECRET } from './backing-services.ts';
import type { System } from './system.ts';

/** Shared pieces of the property-based tests (fuzz-*.e2e.test.ts): oracles and input generators. */

export const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(TRPC_ERROR_CODES_BY_KEY));

/** Google calls that change something; a rejected request must make none of them. */
const WRITE_METHODS = ['events.insert', 'events.patch', 'events.update', 'events.delete', 'events.watch', 'channels.stop'] as const;

/** A picture of everything a request could change: our rows, Google's events, Google's call counters. */
export interface Observation {
  events: string;
  syncStates: string;
  google: string;
  googleWrites: number;
  googleCalls: number;
}

/** Waits until nothing is in flight (notifications, syncs), then takes the picture. */
export async function observe(sys: System): Promise<Observation> {
  await sys.settle();
  const events = await sys.sql.query('select * from calendar_events order by id');
  const states = await sys.sql.query('select * from calendar_sync_states order by id');
  const stats = sys.emulator.control.stats();
  return {
    events: JSON.stringify(events.rows),
    syncStates: JSON.stringify(states.rows),
    google: JSON.stringify(sys.emulator.control.listEvents(sys.calendarId)),
    googleWrites: WRITE_METHODS.reduce((n, m) => n + stats[m], 0),
    googleCalls: stats.total,
  };
}

/** A rejected request changed nothing: no row, no Google event, no Google write (and, when asked, no Google call at all). */
export async function expectNothingChanged(sys: System, before: Observation, opts: { noGoogleCall?: boolean } = {}): Promise<void> {
  const after = await observe(sys);
  expect(after.events, 'calendar_events changed').toBe(before.events);
  expect(after.syncStates, 'calendar_sync_states changed').toBe(before.syncStates);
  expect(after.google, "Google's events changed").toBe(before.google);
  expect(after.googleWrites, 'a Google write call was made').toBe(before.googleWrites);
  if (opts.noGoogleCall) expect(after.googleCalls, 'a Google call was made').toBe(before.googleCalls);
}

/** The `error` of a tRPC response as our errorFormatter shapes it (after superjson). */
export interface ErrorShape {
  message: string;
  code: number;
  data: {
    code: string;
    httpStatus: number;
    path: string | null;
    fieldErrors: Array<{ field: string; message: string }> | null;
    retryable: boolean;
    googleReason: string | null;
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks one error is typed: a known tRPC code whose HTTP status matches, a message, and for
 * BAD_REQUEST a list of field errors. `fieldNamed`: input validation of an object input, so at
 * least one entry must name a field (raw requests may also fail on the envelope itself, before
 * any field: not JSON, not superjson, too many batch items; those carry fieldErrors null).
 */
export function expectTypedError(error: unknown, opts: { fieldNamed: boolean }): asserts error is ErrorShape {
  expect(isRecord(error), `error is an object: ${JSON.stringify(error)}`).toBe(true);
  const e = error as ErrorShape;
  expect(typeof e.message === 'string' && e.message.length > 0, `error has a message: ${JSON.stringify(error)}`).toBe(true);
  expect(isRecord(e.data), `error has data: ${JSON.stringify(error)}`).toBe(true);
  expect(KNOWN_CODES.has(e.data.code), `known code: ${e.data.code}`).toBe(true);
  expect(e.data.httpStatus, `status of ${e.data.code}`).toBeLessThan(500);
  expect(e.data.code).not.toBe('INTERNAL_SERVER_ERROR');
  if (e.data.code !== 'BAD_REQUEST') return;
  const fields = e.data.fieldErrors;
  if (fields === null && !opts.fieldNamed) return;
  expect(Array.isArray(fields) && fields.length > 0, `BAD_REQUEST lists field errors: ${JSON.stringify(error)}`).toBe(true);
  for (const f of fields ?? []) {
    expect(typeof f.field, 'fieldErrors[].field').toBe('string');
    expect(typeof f.message === 'string' && f.message.length > 0, 'fieldErrors[].message').toBe(true);
  }
  if (opts.fieldNamed) expect(fields?.some((f) => f.field !== ''), `a field is named: ${JSON.stringify(fields)}`).toBe(true);
}

/** One raw HTTP exchange, bypassing the typed client. */
export interface RawRequest {
  method: string;
  /** Path and query under the server's URL, e.g. `/trpc/calendar.getEvent?input=...`. */
  path: string;
  headers: Array<[string, string]>;
  body?: string | undefined;
}

export interface RawResponse {
  status: number;
  contentType: string | null;
  text: string;
}

export async function send(sys: System, req: RawRequest): Promise<RawResponse> {
  const headers = new Headers();
  for (const [k, v] of req.headers) headers.append(k, v);
  const hasBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
  const res = await fetch(`${sys.app.url}${req.path}`, { method: req.method, headers, ...(hasBody ? { body: req.body } : {}) });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** Each answer of a (batched) tRPC response: its error after superjson, or ok. */
export type Answer = { ok: true } | { ok: false; error: unknown };

/**
 * Reads a tRPC response as answers and checks the envelope: never 5xx, JSON, one
 * `{result}` or `{error}` per call. Node itself refuses oversized request heads (431) before
 * any application code runs: no body, no tRPC error possible, returned as no answers.
 */
export function answersOf(res: RawResponse, method: string): Answer[] {
  expect(res.status, `HTTP status (${res.text.slice(0, 300)})`).toBeLessThan(500);
  if (res.status === 431) return [];
  // No body by definition.
  if (method === 'HEAD' || res.status === 204) return [];
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new Error(`not JSON (HTTP ${res.status}): ${res.text.slice(0, 300)}`);
  }
  const items = Array.isArray(body) ? (body as unknown[]) : [body];
  expect(items.length, 'answers').toBeGreaterThan(0);
  return items.map((item): Answer => {
    if (isRecord(item) && 'result' in item) return { ok: true };
    expect(isRecord(item) && isRecord(item.error), `an error envelope: ${JSON.stringify(item).slice(0, 300)}`).toBe(true);
    const envelope = (item as { error: { json: unknown; meta?: unknown } }).error;
    return { ok: false, error: superjson.deserialize(envelope as Parameters<typeof superjson.deserialize>[0]) };
  });
}

// ---------------------------------------------------------------------------------------------
// Generators

/** Strings meant to break things: controls, NUL, unpaired surrogates, emoji, RTL, huge, near the limits. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\t\n',
    '\u0000',
    'a\u0000b',
    '\uD800',
    'x\uDFFFy',
    '👩‍👩‍👧‍👦🎉',
    '\u202Eevil',
    'Ω≈ç√∫',
    "Robert'); DROP TABLE calendar_events;--",
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    '__proto__',
    'constructor',
    'null',
  ),
  fc.constantFrom(255, 256, 1023, 1024, 1025, 8192, 8193, 20_000).map((n) => 'x'.repeat(n)),
  fc.constantFrom(1024, 1025).map((n) => '😀'.repeat(n / 2)),
);

const EDGE_DATES = [
  'invalid',
  '-271821-04-20T00:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  '0001-01-01T00:00:00.000Z',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00.000Z',
  '9999-01-01T00:00:00.000Z',
  '9999-01-01T00:00:00.001Z',
  '9999-12-31T23:59:59.999Z',
  '+010000-01-01T00:00:00.000Z',
];

/** Dates from sensible to absurd, Invalid Date included. */
export const nastyDate: fc.Arbitrary<Date> = fc.oneof(
  fc.date(),
  fc.date({ min: new Date('2031-01-01T00:00:00Z'), max: new Date('2031-12-31T00:00:00Z'), noInvalidDate: true }),
  fc.constantFrom(...EDGE_DATES).map((iso) => new Date(iso === 'invalid' ? Number.NaN : iso)),
);

/** Well-formed meeting times: whole minutes (Google keeps no milliseconds) in 2031. */
export const meetingRange: fc.Arbitrary<{ startTime: Date; endTime: Date }> = fc
  .record({
    startMinute: fc.integer({ min: 0, max: 364 * 24 * 60 }),
    minutes: fc.integer({ min: 1, max: 8 * 60 }),
  })
  .map(({ startMinute, minutes }) => {
    const start = Date.UTC(2031, 0, 1) + startMinute * 60_000;
    return { startTime: new Date(start), endTime: new Date(start + minutes * 60_000) };
  });

export const nastyEmail: fc.Arbitrary<string> = fc.oneof(
  fc.emailAddress(),
  fc.emailAddress().map((e) => e.replace('@', '')),
  fc.emailAddress().map((e) => `${e}\u0000`),
  fc.constantFrom('a@b', '@x.com', 'a@@b.com', 'ä@ü.de', 'A@EXAMPLE.COM', 'a b@c.de', 'x@localhost'),
  nastyString,
);

export const nastyTimeZone: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Europe/Berlin',
    'UTC',
    'utc',
    'europe/berlin',
    '+05:00',
    '-23:59',
    '+14:00',
    'Etc/GMT+14',
    'Etc/GMT-14',
    'Mars/Olympus',
    '',
    'EST5EDT',
    'GMT',
    'Z',
    'Asia/Calcutta',
    'Pacific/Kiritimati',
    'America/St_Johns',
    'x'.repeat(65),
  ),
  nastyString,
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 2500, 2501, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_SAFE_INTEGER, -0, 1e308),
);

const SUPERJSON_REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
function hasRefusedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasRefusedKey);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => SUPERJSON_REFUSED_KEYS.has(k) || hasRefusedKey(v));
  }
  return false;
}

/**
 * Arbitrary JSON the typed client can send: superjson refuses, on the client side, objects with
 * prototype-pollution keys, so such inputs never reach the server and prove nothing there.
 */
export const clientJsonValue = (opts: Parameters<typeof fc.jsonValue>[0] = {}) => fc.jsonValue(opts).filter((v) => !hasRefusedKey(v));

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Cursors: garbage, base64 of garbage, and well-shaped ones holding absurd positions. */
export const nastyCursor: fc.Arbitrary<string> = fc.oneof(
  nastyString,
  fc.base64String({ maxLength: 80 }),
  fc.jsonValue().map(b64),
  fc.tuple(fc.oneof(fc.constantFrom(...EDGE_DATES), fc.string()), fc.oneof(fc.uuid(), fc.string())).map(b64),
  fc.constantFrom('x'.repeat(513)),
);

export const nastyId: fc.Arbitrary<string> = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), nastyString, fc.constantFrom('00000000-0000-0000-0000-000000000000'));

/** Keys the schemas do not know (strict objects), to be merged into an input. */
export const extraKeys: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  // superjson refuses to serialize `constructor`/`__proto__`/`prototype` keys: the raw HTTP tests send those.
  fc
    .oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('colour', 'userId', 'calendarId', 'toString', 'valueOf'))
    .filter((k) => !['constructor', '__proto__', 'prototype'].includes(k)),
  clientJsonValue({ maxDepth: 2 }),
  { minKeys: 1, maxKeys: 3 },
);

/** Token values a client might send that must all be refused: none, garbage, wrong secret, expired, no subject, alg none. */
export async function refusedTokens(): Promise<Array<string | null>> {
  const key = (s: string) => new TextEncoder().encode(s);
  const now = Math.floor(Date.now() / 1000);
  return [
    null,
    '',
    'garbage',
    'a.b.c',
    'x'.repeat(4000),
    await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setExpirationTime('1h').sign(key('another-secret-another-secret-0123456789')),
    await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(key(TEST_JWT_SECRET)),
    await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key(TEST_JWT_SECRET)),
    `${b64({ alg: 'none' })}.${b64({ sub: 'user-1' })}.`,
  ];
}

/**
 * Server settings for fuzzing: the per-user, webhook and Google rate limits are meant for
 * people, not for hundreds of requests a second from one test.
 */
export const FUZZ_ENV: Record<string, string> = {
  RATE_LIMIT_API_PER_MINUTE: '1000000',
  RATE_LIMIT_WEBHOOK_PER_MINUTE: '10000000',
  GOOGLE_MAX_REQUESTS_PER_MINUTE: '1000000',
};
