import fc from 'fast-check';
import superjson from 'superjson';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { answersOf, expectNothingChanged, FUZZ_ENV, expectTypedError, nastyString, observe, refusedTokens, send, type RawRequest } from './support/fuzz.ts';
import { useSystem } from './support/system.ts';

// Property runs are many real requests: on a loaded 2-core CI machine they need more than the default.
vi.setConfig({ testTimeout: 120_000 });

// Property-based, over raw HTTP (no typed client): arbitrary bodies, content types, superjson
// meta, batches, query strings and methods. Never a 5xx; every error a typed tRPC error; a
// request whose every call was refused changes nothing, in our database or in Google.
const sys = useSystem({ env: FUZZ_ENV });
let liveId = '';
let refused: Array<string | null> = [];

beforeAll(async () => {
  const e = await sys.client.calendar.createEvent.mutate({
    summary: 'Raw fuzz target',
    startTime: new Date('2031-05-05T10:00:00Z'),
    endTime: new Date('2031-05-05T11:00:00Z'),
  });
  liveId = e.id;
  refused = await refusedTokens();
});

const PROCEDURES = ['createEvent', 'listEvents', 'getEvent', 'updateEvent', 'cancelEvent', 'watch', 'stopWatch', 'sync'].map((p) => `calendar.${p}`);
const path = fc.oneof(
  { arbitrary: fc.constantFrom(...PROCEDURES), weight: 6 },
  fc.constantFrom('calendar', 'calendar.', 'calendar.nope', '', 'calendar.createEvent/extra', '__proto__', 'calendar.constructor', 'calendar.toString'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

/** superjson annotations, right and wrong, for arbitrary paths ("Date" for non-dates included). */
const annotation = fc.oneof(
  fc.constantFrom<unknown>(['Date'], ['undefined'], ['bigint'], ['number'], ['regexp'], ['set'], ['map'], ['symbol', 's'], ['class', 'X'], ['custom', 'nope'], 'Date', 42, null, [], [['Date'], { x: ['Date'] }]),
  fc.jsonValue({ maxDepth: 2 }),
);
const metaPath = fc.oneof(fc.constantFrom('startTime', 'endTime', 'timeMin', 'timeMax', 'summary', 'id', 'limit', 'attendees.0', '__proto__', 'constructor.prototype', 'a.b.c', ''), fc.string({ maxLength: 10 }));
const meta = fc.oneof(
  fc.record({ values: fc.dictionary(metaPath, annotation, { maxKeys: 4 }) }, { requiredKeys: [] }),
  fc.record({ values: annotation, referentialEqualities: fc.jsonValue({ maxDepth: 2 }), v: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Inputs shaped like ours with wrong contents: strings that claim to be dates and the rest. */
const lookalike = fc.record(
  {
    summary: fc.oneof(nastyString, fc.jsonValue({ maxDepth: 1 })),
    startTime: fc.oneof(fc.string(), fc.integer(), fc.constantFrom('2031-01-01T00:00:00Z', 'not a date', '', '9999999-01-01', '1e999'), fc.jsonValue({ maxDepth: 1 })),
    endTime: fc.oneof(fc.string(), fc.integer(), fc.constantFrom('2031-01-01T01:00:00Z', 'Invalid Date')),
    timeMin: fc.oneof(fc.string(), fc.constantFrom('2031-01-01T00:00:00Z', '-271821-04-20T00:00:00Z')),
    timeMax: fc.oneof(fc.string(), fc.constantFrom('2031-01-02T00:00:00Z', '+275760-09-13T00:00:00Z')),
    id: fc.oneof(fc.uuid(), fc.constant('LIVE'), nastyString),
    limit: fc.oneof(fc.string(), fc.double(), fc.integer()),
    full: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
const json = fc.oneof(lookalike, fc.jsonValue({ maxDepth: 3 }));
/** One call's superjson envelope: `{json, meta}`, or not quite one. */
const envelope = fc.oneof(
  { arbitrary: fc.record({ json, meta }, { requiredKeys: ['json'] }), weight: 4 },
  fc.jsonValue({ maxDepth: 3 }),
  lookalike.map((j) => ({ json: j, meta: { values: Object.fromEntries(Object.keys(j).map((k) => [k, ['Date']])) } })),
);

/** A body as bytes on the wire: JSON of anything, broken JSON, or not JSON at all. */
const rawText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', '{', '{"json": ', 'null', '[]', '"x"', '1e999', '{"json":{}}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', 'x'.repeat(200_000)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

const auth = fc.oneof({ arbitrary: fc.constant('valid'), weight: 3 }, fc.constant('refused'), fc.constant('none'));
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 4 },
  fc.constantFrom(undefined, 'text/plain', 'application/octet-stream', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/jsonx', '*/*', ''),
);

interface Shape {
  method: string;
  procs: string[];
  batch: boolean;
  /** Per call, JSON-able envelope (batch: keyed by index) or a raw string. */
  body: { kind: 'envelopes'; items: unknown[] } | { kind: 'raw'; text: string } | { kind: 'none' };
  query: 'input' | 'raw' | 'none';
  rawQuery: string;
  auth: string;
  token: number;
  contentType: string | undefined;
}

const request: fc.Arbitrary<Shape> = fc
  .record({
    method: fc.oneof({ arbitrary: fc.constantFrom('POST', 'GET'), weight: 8 }, fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD')),
    procs: fc.oneof({ arbitrary: fc.array(path, { minLength: 1, maxLength: 1 }), weight: 3 }, fc.array(path, { minLength: 2, maxLength: 60 })),
    batchFlag: fc.constantFrom<boolean | undefined>(true, false, undefined),
    items: fc.array(envelope, { maxLength: 60 }),
    raw: rawText,
    bodyKind: fc.constantFrom<'envelopes' | 'raw' | 'none'>('envelopes', 'envelopes', 'raw', 'none'),
    query: fc.constantFrom<'input' | 'raw' | 'none'>('input', 'raw', 'none'),
    rawQuery: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('input=%E0%A4%A', 'input=%', 'input=%00', 'input={"0":', 'batch=1&batch=1', 'input=1&input=2', 'batch=true', 'batch=1&input=[]', `input=${'x'.repeat(20_000)}`),
    ),
    auth,
    token: fc.nat(),
    contentType,
  })
  .map((r) => ({
    method: r.method,
    procs: r.procs,
    batch: r.batchFlag ?? r.procs.length > 1,
    body: r.bodyKind === 'raw' ? { kind: 'raw' as const, text: r.raw } : r.bodyKind === 'none' ? { kind: 'none' as const } : { kind: 'envelopes' as const, items: r.items },
    query: r.query,
    rawQuery: r.rawQuery,
    auth: r.auth,
    token: r.token,
    contentType: r.contentType,
  }));

/** `LIVE` stands for the id of an existing event, so some calls reach a real row. */
function withLiveId(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null).replaceAll('"LIVE"', JSON.stringify(liveId)));
}

function toRaw(s: Shape): RawRequest {
  const payload =
    s.body.kind === 'raw'
      ? s.body.text
      : s.body.kind === 'none'
        ? undefined
        : JSON.stringify(withLiveId(s.batch ? Object.fromEntries(s.body.items.map((item, i) => [String(i), item])) : (s.body.items[0] ?? null)));
  const params: string[] = [];
  if (s.batch) params.push('batch=1');
  if (s.query === 'input' && payload !== undefined) params.push(`input=${encodeURIComponent(payload)}`);
  if (s.query === 'raw') params.push(s.rawQuery);
  const headers: Array<[string, string]> = [];
  if (s.contentType !== undefined) headers.push(['content-type', s.contentType]);
  if (s.auth === 'valid') headers.push(['authorization', `Bearer ${sys.token}`]);
  if (s.auth === 'refused') {
    const t = refused[s.token % refused.length];
    if (t) headers.push(['authorization', `Bearer ${t}`]);
  }
  return {
    method: s.method,
    path: `/trpc/${s.procs.join(',')}${params.length ? `?${params.join('&')}` : ''}`,
    headers,
    body: s.method === 'GET' || s.method === 'HEAD' ? undefined : payload,
  };
}

async function check(req: RawRequest, authenticated: boolean): Promise<void> {
  const before = await observe(sys);
  const res = await send(sys, req);
  const answers = answersOf(res, req.method);
  for (const a of answers) {
    if (a.ok) continue;
    expectTypedError(a.error, { fieldNamed: false });
    if (!authenticated) expect(['UNAUTHORIZED', 'BAD_REQUEST', 'NOT_FOUND', 'METHOD_NOT_SUPPORTED', 'UNSUPPORTED_MEDIA_TYPE', 'PARSE_ERROR']).toContain(a.error.data.code);
  }
  if (answers.every((a) => !a.ok)) await expectNothingChanged(sys, before, { noGoogleCall: !authenticated });
}

describe('raw HTTP to /trpc', () => {
  it('arbitrary methods, paths, batches, bodies, content types and query strings: never 5xx, typed errors, refusals change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (s) => {
        await check(toRaw(s), s.auth === 'valid');
      }),
      { numRuns: 150 },
    );
    await sys.client.calendar.stopWatch.mutate();
  });

  it('superjson meta claiming Dates (and other types) for whatever the json holds', async () => {
    const call = fc.record({
      proc: fc.constantFrom(...PROCEDURES),
      json: lookalike,
      dates: fc.subarray(['summary', 'startTime', 'endTime', 'timeMin', 'timeMax', 'id', 'limit', 'full']),
    });
    await fc.assert(
      fc.asyncProperty(call, async ({ proc, json: j, dates }) => {
        const body = withLiveId({ json: j, meta: { values: Object.fromEntries(dates.map((k) => [k, ['Date']])) } });
        const isQuery = proc === 'calendar.listEvents' || proc === 'calendar.getEvent';
        const req: RawRequest = isQuery
          ? { method: 'GET', path: `/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(body))}`, headers: [['authorization', `Bearer ${sys.token}`]] }
          : { method: 'POST', path: `/trpc/${proc}`, headers: [['authorization', `Bearer ${sys.token}`], ['content-type', 'application/json']], body: JSON.stringify(body) };
        await check(req, true);
      }),
      { numRuns: 80 },
    );
    await sys.client.calendar.stopWatch.mutate();
  });

  it('a well-formed raw request succeeds (the harness reaches the procedures)', async () => {
    const real = superjson.serialize({ timeMin: new Date('2031-01-01T00:00:00Z'), timeMax: new Date('2031-01-02T00:00:00Z') });
    const res = await send(sys, { method: 'GET', path: `/trpc/calendar.listEvents?input=${encodeURIComponent(JSON.stringify(real))}`, headers: [['authorization', `Bearer ${sys.token}`]] });
    expect(res.status).toBe(200);
  });
});
