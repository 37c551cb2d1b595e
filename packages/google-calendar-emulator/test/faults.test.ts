import { describe, expect, it, vi } from 'vitest';
import { startEmulator } from '../src/index.ts';
import { failure, googleCalendar } from './google-client.ts';
import { USER, at, useEmulator } from './fixture.ts';

const f = useEmulator();
const base = { summary: 'Demo', start: at('2030-01-01T10:00:00Z'), end: at('2030-01-01T11:00:00Z') };

/** The parts of a GaxiosError these tests look at. */
interface ClientError {
  status?: number;
  code?: string;
  message: string;
  cause?: unknown;
  response?: { status?: number; headers?: Headers; data?: unknown };
}

async function caught(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p;
  } catch (err) {
    return err as ClientError;
  }
  throw new Error('expected the call to fail');
}

/** Every error code along an error's cause chain (undici nests the socket error). */
function codes(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
  }
  return out;
}

const items = (): unknown[] => f.emu.control.listEvents(USER);

describe('fault injection: API errors in Google envelope', () => {
  it('429 rateLimitExceeded with Retry-After reaches the client with the header and reason', async () => {
    f.emu.control.injectFaults([{ method: 'events.insert', status: 429, reason: 'rateLimitExceeded', retryAfterSeconds: 7 }]);
    const err = await caught(f.user.events.insert({ calendarId: 'primary', requestBody: base }));
    expect(err.constructor.name).toBe('GaxiosError');
    expect(err.status).toBe(429);
    expect(err.response?.headers?.get('retry-after')).toBe('7');
    expect(err.response?.data).toEqual({
      error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 429, message: 'Rate Limit Exceeded' },
    });
    expect(items()).toHaveLength(0);
  });

  it('403 rateLimitExceeded and userRateLimitExceeded are in the usageLimits domain; 500 backendError in global', async () => {
    f.emu.control.injectFaults([
      { method: 'events.insert', status: 403, reason: 'rateLimitExceeded' },
      { method: 'events.insert', reason: 'userRateLimitExceeded' },
      { method: 'events.insert', status: 500 },
    ]);
    const call = () => failure(f.user.events.insert({ calendarId: 'primary', requestBody: base }));
    const first = await call();
    expect(first).toMatchObject({ status: 403, reason: 'rateLimitExceeded' });
    expect(first.body).toMatchObject({ error: { code: 403, errors: [{ domain: 'usageLimits', message: 'Rate Limit Exceeded' }] } });
    const second = await call();
    expect(second).toMatchObject({ status: 403, reason: 'userRateLimitExceeded' });
    expect(second.body).toMatchObject({ error: { errors: [{ domain: 'usageLimits', message: 'User Rate Limit Exceeded' }] } });
    const third = await call();
    expect(third).toMatchObject({ status: 500, reason: 'backendError' });
    expect(third.body).toMatchObject({ error: { errors: [{ domain: 'global', message: 'Backend Error' }] } });
    expect(f.emu.control.stats()['events.insert']).toBe(3);
  });

  it('a 503 on insert creates nothing; once the rule is spent the next insert succeeds', async () => {
    f.emu.control.injectFaults([{ method: 'events.insert', status: 503 }]);
    const err = await failure(f.user.events.insert({ calendarId: 'primary', requestBody: { ...base, id: 'abcde12345' } }));
    expect(err).toMatchObject({ status: 503, reason: 'backendError' });
    expect(err.body).toMatchObject({ error: { code: 503, message: 'The service is currently unavailable.', errors: [{ domain: 'global' }] } });
    expect(items()).toHaveLength(0);
    const ok = await f.user.events.insert({ calendarId: 'primary', requestBody: { ...base, id: 'abcde12345' } });
    expect(ok.status).toBe(200);
    expect(items()).toHaveLength(1);
    // The faulted call was still an attempted call.
    expect(f.emu.control.stats()['events.insert']).toBe(2);
  });

  it('410 on events.list is fullSyncRequired in the calendar domain', async () => {
    f.emu.control.injectFaults([{ method: 'events.list', status: 410 }]);
    const err = await failure(f.user.events.list({ calendarId: 'primary', syncToken: 'anything' }));
    expect(err).toMatchObject({ status: 410, reason: 'fullSyncRequired' });
    expect(err.body).toMatchObject({ error: { errors: [{ domain: 'calendar', locationType: 'parameter', location: 'syncToken' }] } });
  });

  it('the library retries a GET on 503 by itself; both attempts are counted', async () => {
    f.emu.control.injectFaults([{ method: 'events.list', status: 503 }]);
    const res = await f.user.events.list({ calendarId: 'primary' });
    expect(res.status).toBe(200);
    expect(f.emu.control.stats()['events.list']).toBe(2);
  });

  it('rules match by calendar (primary resolved to its owner), apply in order and stay with times always', async () => {
    f.emu.control.injectFaults([
      { calendarId: 'someone-else@example.com', status: 500 },
      { method: 'events.insert', calendarId: USER, status: 403, reason: 'quotaExceeded', times: 2 },
      { method: 'events.insert', status: 400, times: 'always' },
    ]);
    const call = () => failure(f.user.events.insert({ calendarId: 'primary', requestBody: base }));
    expect(await call()).toMatchObject({ status: 403, reason: 'quotaExceeded' });
    expect(await call()).toMatchObject({ status: 403, reason: 'quotaExceeded' });
    for (let i = 0; i < 3; i++) expect(await call()).toMatchObject({ status: 400, reason: 'badRequest' });
    f.emu.control.clearFaults();
    expect((await f.user.events.insert({ calendarId: 'primary', requestBody: base })).status).toBe(200);
  });

  it('rules can be set and cleared over HTTP; bad rules are 400', async () => {
    const post = (body: unknown) =>
      fetch(`${f.emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ rules: [{ method: 'events.get', status: 404, times: null }] })).status).toBe(204);
    for (let i = 0; i < 2; i++) expect(await failure(f.user.events.get({ calendarId: 'primary', eventId: 'x' }))).toMatchObject({ status: 404, reason: 'notFound' });
    expect((await post({ rules: [{ method: 'events.nope' }] })).status).toBe(400);
    expect((await post({ rules: [{ status: 200 }] })).status).toBe(400);
    expect((await fetch(`${f.emu.url}/__emulator/faults`, { method: 'DELETE' })).status).toBe(204);
    const ev = await f.user.events.insert({ calendarId: 'primary', requestBody: base });
    expect((await f.user.events.get({ calendarId: 'primary', eventId: ev.data.id ?? '' })).status).toBe(200);
  });
});

describe('fault injection: token endpoint', () => {
  // google-auth-library posts for a token with its own retry (POST included): 4 attempts, ~2.1 s of backoff.
  it('an outage makes the call fail with 503 (OAuth error body), and it works once Google is back', async () => {
    // A fresh client: the shared one already holds a cached access token.
    const client = googleCalendar(f.emu.url, f.delegatedKey, { subject: USER });
    f.emu.control.injectFaults([{ method: 'token', status: 503, times: 4 }]);
    const err = await caught(client.events.list({ calendarId: 'primary' }));
    expect(err.constructor.name).toBe('GaxiosError');
    expect(err.status).toBe(503);
    expect(err.response?.data).toEqual({ error: 'temporarily_unavailable', error_description: 'The service is currently unavailable.' });
    expect(f.emu.control.stats()).toMatchObject({ token: 4, 'events.list': 0 });
    expect((await client.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(f.emu.control.stats()).toMatchObject({ token: 5, 'events.list': 1 });
  });

  it('a single token failure is hidden by the library retry, but counted', async () => {
    const client = googleCalendar(f.emu.url, f.delegatedKey, { subject: USER });
    f.emu.control.injectFaults([{ method: 'token', status: 500 }]);
    expect((await client.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(f.emu.control.stats()).toMatchObject({ token: 2, 'events.list': 1 });
  });

  it('token faults answer the OAuth form, with a chosen error code and Retry-After', async () => {
    f.emu.control.injectFaults([{ method: 'token', status: 500, reason: 'internal_failure', message: 'Backend outage', retryAfterSeconds: 3 }]);
    const res = await fetch(`${f.emu.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'x' }) });
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ error: 'internal_failure', error_description: 'Backend outage' });
  });
});

describe('fault injection: slow answers and dropped connections', () => {
  it('a delay past the client timeout times the client out; the insert still lands afterwards, as at Google', async () => {
    f.emu.control.injectFaults([{ method: 'events.insert', delayMs: 1000 }]);
    const err = await caught(f.user.events.insert({ calendarId: 'primary', requestBody: base }, { timeout: 200 }));
    expect(err.message).toMatch(/timeout|timed out|aborted/i);
    expect(err.response).toBeUndefined();
    expect(items()).toHaveLength(0);
    expect(f.emu.control.concurrency()[`events.insert ${USER}`]).toEqual({ max: 1, current: 1 });
    // The server finishes the call the client gave up on.
    await vi.waitFor(() => expect(f.emu.control.concurrency()[`events.insert ${USER}`]?.current).toBe(0), { timeout: 3000, interval: 50 });
    expect(items()).toHaveLength(1);
  });

  it('a delay with an error answers the error late', async () => {
    f.emu.control.injectFaults([{ method: 'events.insert', delayMs: 50, status: 503 }]);
    expect(await failure(f.user.events.insert({ calendarId: 'primary', requestBody: base }))).toMatchObject({ status: 503 });
    expect(items()).toHaveLength(0);
  });

  it('reset drops a delayed call unanswered, so it cannot act on later state', async () => {
    f.emu.control.injectFaults([{ method: 'events.insert', delayMs: 60_000 }]);
    const pending = caught(f.user.events.insert({ calendarId: 'primary', requestBody: base }));
    await vi.waitFor(() => expect(f.emu.control.concurrency()[`events.insert ${USER}`]?.current).toBe(1), { interval: 10 });
    f.emu.control.reset();
    const err = await pending;
    expect(err.response).toBeUndefined();
    expect(items()).toHaveLength(0);
  });

  it('dropConnection resets the socket: a network error without a response, and nothing changes', async () => {
    f.emu.control.injectFaults([{ method: 'events.insert', dropConnection: true }]);
    const err = await caught(f.user.events.insert({ calendarId: 'primary', requestBody: base }));
    expect(err.response).toBeUndefined();
    expect(codes(err)).toContain('ECONNRESET');
    expect(items()).toHaveLength(0);
    expect(f.emu.control.stats()['events.insert']).toBe(1);
    expect((await f.user.events.insert({ calendarId: 'primary', requestBody: base })).status).toBe(200);
  });
});

describe('concurrency observation', () => {
  it('two overlapping slow list calls on one calendar: max 2', async () => {
    f.emu.control.injectFaults([{ method: 'events.list', delayMs: 300, times: 2 }]);
    await Promise.all([f.user.events.list({ calendarId: 'primary' }), f.user.events.list({ calendarId: USER })]);
    expect(f.emu.control.concurrency()[`events.list ${USER}`]).toEqual({ max: 2, current: 0 });
    const overHttp = (await (await fetch(`${f.emu.url}/__emulator/concurrency`)).json()) as Record<string, unknown>;
    expect(overHttp[`events.list ${USER}`]).toEqual({ max: 2, current: 0 });
  });

  it('the same calls one after the other: max 1; resetStats starts over', async () => {
    f.emu.control.setLatency(100);
    await f.user.events.list({ calendarId: 'primary' });
    await f.user.events.list({ calendarId: 'primary' });
    expect(f.emu.control.concurrency()[`events.list ${USER}`]).toEqual({ max: 1, current: 0 });
    f.emu.control.resetStats();
    expect(f.emu.control.concurrency()).toEqual({});
  });

  it('different calendars are counted apart', async () => {
    const bob = googleCalendar(f.emu.url, f.delegatedKey, { subject: 'bob@example.com' });
    f.emu.control.setLatency(200);
    await Promise.all([f.user.events.list({ calendarId: 'primary' }), bob.events.list({ calendarId: 'primary' })]);
    const c = f.emu.control.concurrency();
    expect(c[`events.list ${USER}`]).toEqual({ max: 1, current: 0 });
    expect(c['events.list bob@example.com']).toEqual({ max: 1, current: 0 });
    expect(c['token']?.max).toBeGreaterThanOrEqual(1);
  });
});

describe('latencyMs option and closing with calls in flight', () => {
  it('latencyMs makes overlaps show; POST /__emulator/latency changes it; close drops a waiting call', async () => {
    const emu = await startEmulator({ latencyMs: 150 });
    try {
      emu.registerServiceAccount(f.delegatedKey, { domainWideDelegation: true });
      const client = googleCalendar(emu.url, f.delegatedKey, { subject: USER });
      await client.events.list({ calendarId: 'primary' });
      await Promise.all([client.events.list({ calendarId: 'primary' }), client.events.list({ calendarId: 'primary' })]);
      expect(emu.control.concurrency()[`events.list ${USER}`]).toEqual({ max: 2, current: 0 });

      const set = await fetch(`${emu.url}/__emulator/latency`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 60_000 }) });
      expect(set.status).toBe(204);
      const pending = caught(client.events.insert({ calendarId: 'primary', requestBody: base }));
      await vi.waitFor(() => expect(emu.control.concurrency()[`events.insert ${USER}`]?.current).toBe(1), { interval: 10 });
      await emu.close();
      expect((await pending).response).toBeUndefined();
      expect(emu.control.listEvents(USER)).toHaveLength(0);
    } finally {
      await emu.close().catch(() => undefined);
    }
  });
});
