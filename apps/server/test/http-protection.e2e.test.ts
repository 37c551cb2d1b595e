import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { WEBHOOK_PATH } from '../src/http/webhook.ts';
import { createLogger } from '../src/logger.ts';
import { clientFor } from './support/client.ts';
import { failure } from './support/failure.ts';
import { at, useSystem } from './support/system.ts';

// What protects the service at its HTTP edge: per-user and per-channel rate limits shared by
// every process on the database, security headers, CORS for the configured origins only, body
// size limits, and a request id on every answer.
const API_LIMIT = 5;
const CRM_ORIGIN = 'https://crm.example.com';
const week = { timeMin: at('2031-07-07T00:00:00Z'), timeMax: at('2031-07-14T00:00:00Z') };

const LIMITS = { RATE_LIMIT_API_PER_MINUTE: String(API_LIMIT), RATE_LIMIT_WEBHOOK_PER_MINUTE: '5' };

// Each test signs in as a user of its own (clientFor), so that limits used up by one test never touch another.
const sys = useSystem({ env: { ...LIMITS, CORS_ORIGINS: `${CRM_ORIGIN}, https://admin.example.com` } });
/** A second server process on the same database, without CORS_ORIGINS. */
let second: RunningApp;

/** Another server process on the system's database and emulator, with these limits and `env`. */
function startAnotherApp(env: Record<string, string> = {}): Promise<RunningApp> {
  return startApp(loadConfig({ ...sys.env, PORT: '0', ...LIMITS, ...env }), createLogger({ level: 'silent' }));
}

beforeAll(async () => {
  second = await startAnotherApp();
});
afterAll(async () => {
  await second?.close();
});

const listUrl = (base: string) =>
  `${base}/trpc/calendar.listEvents?input=${encodeURIComponent(
    JSON.stringify({ json: { timeMin: week.timeMin.toISOString(), timeMax: week.timeMax.toISOString() }, meta: { values: { timeMin: ['Date'], timeMax: ['Date'] } } }),
  )}`;

describe('rate limits', () => {
  it('keeps its counters in an unlogged table (no log flush per request; a crash only resets them)', async () => {
    const table = await sys.sql.query(`select relpersistence from pg_class where relname = 'http_rate_limits'`);
    expect(table.rows).toEqual([{ relpersistence: 'u' }]);
  });

  it('answers 429 with Retry-After once a user exceeds the limit, and other users go on', async () => {
    const alice = await clientFor(sys.app.url, 'alice');
    for (let i = 0; i < API_LIMIT; i++) await alice.client.calendar.listEvents.query(week);

    const refused = await failure(alice.client.calendar.listEvents.query(week));
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });

    const raw = await fetch(listUrl(sys.app.url), { headers: { authorization: `Bearer ${alice.token}` } });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await raw.json()) as { error: { json: { data: { code: string; httpStatus: number } } } };
    expect(body.error.json.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });

    const bob = await clientFor(sys.app.url, 'bob');
    await expect(bob.client.calendar.listEvents.query(week)).resolves.toMatchObject({ items: [] });
    // Health checks are not limited.
    expect((await fetch(`${sys.app.url}/health`)).status).toBe(200);
  });

  it('counts a listEvents GET once, also when it is refused and tRPC\'s adapter answers it', async () => {
    const dave = await clientFor(sys.app.url, 'dave');
    const backwards = `${sys.app.url}/trpc/calendar.listEvents?input=${encodeURIComponent(
      JSON.stringify({ json: { timeMin: week.timeMax.toISOString(), timeMax: week.timeMin.toISOString() }, meta: { values: { timeMin: ['Date'], timeMax: ['Date'] } } }),
    )}`;
    const statuses: number[] = [];
    for (let i = 0; i < API_LIMIT - 1; i++) statuses.push((await fetch(backwards, { headers: { authorization: `Bearer ${dave.token}` } })).status);
    statuses.push((await fetch(listUrl(sys.app.url), { headers: { authorization: `Bearer ${dave.token}` } })).status);
    statuses.push((await fetch(listUrl(sys.app.url), { headers: { authorization: `Bearer ${dave.token}` } })).status);
    expect(statuses).toEqual([...Array<number>(API_LIMIT - 1).fill(400), 200, 429]);
  });

  it('counts one limit across two server processes on the same database', async () => {
    const carol = await clientFor(sys.app.url, 'carol');
    const { client: onSecond } = await clientFor(second.url, 'carol');
    for (let i = 0; i < 3; i++) await carol.client.calendar.listEvents.query(week);
    for (let i = 0; i < API_LIMIT - 3; i++) await onSecond.calendar.listEvents.query(week);

    expect(await failure(onSecond.calendar.listEvents.query(week))).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await failure(carol.client.calendar.listEvents.query(week))).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });

  it('counts unauthenticated callers by the address a trusted proxy forwards, and ignores the header otherwise', async () => {
    // The test talks to it over loopback, as a load balancer on the same host would.
    const behindProxy = await startAnotherApp({ TRUST_PROXY: 'loopback' });
    try {
      const from = (base: string, client: string) => fetch(listUrl(base), { headers: { 'x-forwarded-for': client } });
      // Behind the trusted proxy each client has a budget of its own...
      for (let i = 0; i < API_LIMIT; i++) expect((await from(behindProxy.url, '203.0.113.10')).status).toBe(401);
      expect((await from(behindProxy.url, '203.0.113.10')).status).toBe(429);
      expect((await from(behindProxy.url, '203.0.113.11')).status).toBe(401);
      // ...and without TRUST_PROXY the header is anyone's to write: all count as the socket's address.
      for (let i = 0; i < API_LIMIT; i++) expect((await from(second.url, `198.51.100.${i}`)).status).toBe(401);
      expect((await from(second.url, '198.51.100.250')).status).toBe(429);
    } finally {
      await behindProxy.close();
    }
  });

  it('cuts a flood of notifications on one channel with 429, other channels unaffected', async () => {
    const notify = (channelId: string) =>
      fetch(`${sys.app.url}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: { 'x-goog-channel-id': channelId, 'x-goog-channel-token': 'not-the-token', 'x-goog-resource-id': 'r', 'x-goog-resource-state': 'exists', 'x-goog-message-number': '1' },
      });
    const flood = await Promise.all(Array.from({ length: 60 }, () => notify('flooded-channel')));
    const limited = flood.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The rest reached the receiver, which refuses a forged token.
    expect(new Set(flood.map((r) => r.status))).toEqual(new Set([403, 429]));

    expect((await notify('another-channel')).status).toBe(403);
  });
});

describe('headers', () => {
  it('sends helmet security headers', async () => {
    const res = await fetch(`${sys.app.url}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('allows CORS from the configured origins only', async () => {
    const { token } = await clientFor(sys.app.url, 'cors-user');
    const preflight = (origin: string, base = sys.app.url) =>
      fetch(`${base}/trpc/calendar.listEvents`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });

    const allowed = await preflight(CRM_ORIGIN);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CRM_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    const get = await fetch(listUrl(sys.app.url), { headers: { origin: CRM_ORIGIN, authorization: `Bearer ${token}` } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(CRM_ORIGIN);
    expect(get.headers.get('access-control-expose-headers')).toContain('x-request-id');

    const foreign = await preflight('https://evil.example.com');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const foreignGet = await fetch(listUrl(sys.app.url), { headers: { origin: 'https://evil.example.com', authorization: `Bearer ${token}` } });
    expect(foreignGet.headers.get('access-control-allow-origin')).toBeNull();

    // A process without CORS_ORIGINS sends no CORS headers at all.
    const none = await preflight(CRM_ORIGIN, second.url);
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows CORS on the REST routes too, with their methods and headers (PATCH with If-Match, DELETE, ETag)', async () => {
    const { token } = await clientFor(sys.app.url, 'cors-rest-user');
    const preflight = (origin: string, method: string, headers: string, base = sys.app.url) =>
      fetch(`${base}/calendar/events/6f1c1d52-0c59-4b5e-9d39-1f7d4c3f0a11`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
      });
    const patch = await preflight(CRM_ORIGIN, 'PATCH', 'authorization,content-type,if-match');
    expect(patch.status).toBeLessThan(300);
    expect(patch.headers.get('access-control-allow-origin')).toBe(CRM_ORIGIN);
    expect(patch.headers.get('access-control-allow-methods')?.split(',')).toEqual(expect.arrayContaining(['PATCH', 'DELETE']));
    expect(patch.headers.get('access-control-allow-headers')?.split(',')).toEqual(expect.arrayContaining(['if-match', 'idempotency-key']));
    expect(patch.headers.get('access-control-allow-credentials')).toBeNull();

    const list = await fetch(`${sys.app.url}/calendar/events?time_min=2031-03-09T00:00:00Z&time_max=2031-03-16T00:00:00Z`, { headers: { origin: CRM_ORIGIN, authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    expect(list.headers.get('access-control-allow-origin')).toBe(CRM_ORIGIN);
    expect(list.headers.get('access-control-expose-headers')?.split(',')).toEqual(expect.arrayContaining(['etag', 'x-request-id']));

    expect((await preflight('https://evil.example.com', 'DELETE', 'authorization')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(CRM_ORIGIN, 'DELETE', 'authorization', second.url)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await fetch(`${sys.app.url}/health`, { headers: { 'x-request-id': 'lb-7f3a.b_c-9' } });
    expect(given.headers.get('x-request-id')).toBe('lb-7f3a.b_c-9');

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const generated = await fetch(`${sys.app.url}/health`);
    expect(generated.headers.get('x-request-id')).toMatch(uuid);
    for (const bad of ['has spaces', 'x'.repeat(129), 'semi;colon', '<script>']) {
      const res = await fetch(`${sys.app.url}/health`, { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).toMatch(uuid);
    }
    // Also on errors and on tRPC answers.
    expect((await fetch(`${sys.app.url}/nowhere`, { headers: { 'x-request-id': 'req-404' } })).headers.get('x-request-id')).toBe('req-404');
  });
});

describe('body limits', () => {
  it('answers a 200 kb procedure body with 413 in the typed error shape, not 500', async () => {
    const { token } = await clientFor(sys.app.url, 'big-body-user');
    const body = JSON.stringify({ json: { summary: 'x'.repeat(200 * 1024), startTime: '2031-07-08T10:00:00.000Z', endTime: '2031-07-08T11:00:00.000Z' } });
    const res = await fetch(`${sys.app.url}/trpc/calendar.createEvent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/json');
    const json = (await res.json()) as { error: { json: { data: { code: string; httpStatus: number } } } };
    expect(json.error.json.data).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 });
    expect(await sys.rowCount()).toBe(0);
  });
});
