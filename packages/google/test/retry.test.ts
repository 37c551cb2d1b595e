import { generateServiceAccountKey, startEmulator } from '@calsync/google-calendar-emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GoogleCallEvent } from '../src/config.ts';
import { GoogleApiError } from '../src/errors.ts';
import { GoogleCalendarGateway } from '../src/gateway.ts';
import { QuotaLimiter } from '../src/quota.ts';
import { nextDelay, type RetryPolicy } from '../src/retry.ts';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxTotalMs: 5_000 };

describe('nextDelay', () => {
  const retryable = new GoogleApiError('unavailable', 'down');
  it('waits a random time up to the exponential ceiling (full jitter)', () => {
    expect(nextDelay(retryable, 1, 0, policy, () => 0.999)).toBe(19);
    expect(nextDelay(retryable, 2, 0, policy, () => 0.999)).toBe(39);
    expect(nextDelay(retryable, 3, 0, policy, () => 0.999)).toBe(49);
    expect(nextDelay(retryable, 1, 0, policy, () => 0)).toBe(0);
  });
  it("backs off a quota refusal as Google documents: 2^n seconds plus up to a second, truncated", () => {
    const refused = new GoogleApiError('rate_limited', 'Rate Limit Exceeded', { reason: 'userRateLimitExceeded' });
    const google: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 10_000, maxTotalMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((n) => nextDelay(refused, n, 0, google, () => 0))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000]);
    expect(nextDelay(refused, 1, 0, google, () => 0.999)).toBe(1_999);
    // Other failures keep full jitter from zero.
    expect(nextDelay(retryable, 1, 0, google, () => 0)).toBe(0);
  });
  it('never waits less than Retry-After', () => {
    const limited = new GoogleApiError('rate_limited', 'slow down', { retryAfterMs: 2_000 });
    expect(nextDelay(limited, 1, 0, policy, () => 0.5)).toBe(2_000);
  });
  it('gives up: not retryable, out of attempts, or out of time', () => {
    expect(nextDelay(new GoogleApiError('invalid', 'bad'), 1, 0, policy)).toBeNull();
    expect(nextDelay(new GoogleApiError('precondition_failed', 'stale'), 1, 0, policy)).toBeNull();
    expect(nextDelay(retryable, 4, 0, policy)).toBeNull();
    expect(nextDelay(new GoogleApiError('rate_limited', 'x', { retryAfterMs: 10_000 }), 1, 0, policy)).toBeNull();
  });
});

describe('QuotaLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Starts `n` calls of `user` that record when they ran (ms since the start). */
  function calls(limiter: QuotaLimiter, user: string, n: number, log: Array<[string, number]>, t0: number): Array<Promise<unknown>> {
    return Array.from({ length: n }, () => limiter.run(user, async () => log.push([user, Date.now() - t0])));
  }

  it("keeps a user within the per-user quota over a sliding minute, while others are served", async () => {
    const limiter = new QuotaLimiter({ perUserPerMinute: 3, perProjectPerMinute: 1000, maxConcurrent: 100 });
    const log: Array<[string, number]> = [];
    const t0 = Date.now();
    const all = [...calls(limiter, 'busy@acme.test', 5, log, t0), ...calls(limiter, 'quiet@acme.test', 1, log, t0)];
    await vi.advanceTimersByTimeAsync(0);
    // The quiet user's one call is not behind the busy user's queue.
    expect(log.filter(([, at]) => at === 0).map(([u]) => u).sort()).toEqual(['busy@acme.test', 'busy@acme.test', 'busy@acme.test', 'quiet@acme.test']);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(log).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(all);
    // The busy user's 4th and 5th start once the first three leave the minute.
    expect(log.filter(([u]) => u === 'busy@acme.test').map(([, at]) => at >= 60_000)).toEqual([false, false, false, true, true]);
  });

  it('forgets users once their minute is over, and only then (counts in the window, holds and waiting calls stay)', async () => {
    const limiter = new QuotaLimiter({ perUserPerMinute: 3, perProjectPerMinute: 1000, maxConcurrent: 100 });
    const log: Array<[string, number]> = [];
    const t0 = Date.now();
    await Promise.all(calls(limiter, 'a@acme.test', 3, log, t0));
    limiter.hold('held@acme.test', 120_000);
    const queued = calls(limiter, 'held@acme.test', 1, log, t0);
    await vi.advanceTimersByTimeAsync(30_000);
    limiter.forgetIdle();
    expect(limiter.trackedUsers).toBe(2);
    // a's three calls still count: a fourth waits for the first to leave the minute.
    const fourth = calls(limiter, 'a@acme.test', 1, log, t0);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(log.filter(([u]) => u === 'a@acme.test')).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(fourth);
    expect(log.filter(([u]) => u === 'a@acme.test').at(-1)?.[1]).toBeGreaterThanOrEqual(60_000);
    // A minute after a's last call: a is forgotten; the held user is not (held, then its call ran
    // when the hold ended, inside the minute).
    await vi.advanceTimersByTimeAsync(62_000);
    limiter.forgetIdle();
    expect(limiter.trackedUsers).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all(queued);
    await vi.advanceTimersByTimeAsync(62_000);
    limiter.forgetIdle();
    expect(limiter.trackedUsers).toBe(0);
  });

  it('keeps everyone within the project quota, and serves waiting users in turns', async () => {
    const limiter = new QuotaLimiter({ perUserPerMinute: 100, perProjectPerMinute: 4, maxConcurrent: 100 });
    const log: Array<[string, number]> = [];
    const t0 = Date.now();
    const first = calls(limiter, 'x@acme.test', 4, log, t0);
    // The project's minute is used up: these wait, a's queue first.
    const waiting = [...calls(limiter, 'a@acme.test', 4, log, t0), ...calls(limiter, 'b@acme.test', 4, log, t0)];
    await vi.advanceTimersByTimeAsync(59_000);
    await Promise.all(first);
    expect(log).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(log.slice(4).map(([u]) => u)).toEqual(['a@acme.test', 'b@acme.test', 'a@acme.test', 'b@acme.test']);
    expect(log.slice(4).every(([, at]) => at >= 60_000)).toBe(true);
    await vi.advanceTimersByTimeAsync(62_000);
    await Promise.all(waiting);
    expect(log.slice(8).map(([u]) => u)).toEqual(['a@acme.test', 'b@acme.test', 'a@acme.test', 'b@acme.test']);
  });

  it("holds a user Google refused, and everyone for a project refusal", async () => {
    const limiter = new QuotaLimiter({ perUserPerMinute: 100, perProjectPerMinute: 100, maxConcurrent: 100 });
    const log: Array<[string, number]> = [];
    const t0 = Date.now();
    limiter.hold('a@acme.test', 1_000);
    const first = [...calls(limiter, 'a@acme.test', 1, log, t0), ...calls(limiter, 'b@acme.test', 1, log, t0)];
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(first);
    expect(log).toEqual([['b@acme.test', 0], ['a@acme.test', 1_000]]);
    limiter.hold(undefined, 2_000);
    const second = calls(limiter, 'b@acme.test', 1, log, t0);
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(second);
    expect(log.at(-1)).toEqual(['b@acme.test', 3_000]);
  });

  it('refuses waiting and later calls once closed, and lets running ones finish', async () => {
    const limiter = new QuotaLimiter({ perUserPerMinute: 1, perProjectPerMinute: 1000, maxConcurrent: 100 });
    let finishRunning: () => void = () => {};
    const running = limiter.run('a@acme.test', () => new Promise<string>((resolve) => (finishRunning = () => resolve('done'))));
    await vi.advanceTimersByTimeAsync(0);
    // Over the user's quota: this one waits a minute for its turn.
    const waiting = limiter.run('a@acme.test', async () => 'ran');
    const waitingOutcome = waiting.then(() => 'ran', (err: Error) => err.message);
    expect(limiter.waiting).toBe(1);
    limiter.close(new Error('shutting down'));
    expect(await waitingOutcome).toBe('shutting down');
    expect(limiter.waiting).toBe(0);
    await expect(limiter.run('b@acme.test', async () => 'ran')).rejects.toThrow('shutting down');
    finishRunning();
    expect(await running).toBe('done');
  });

  it('bounds the calls in flight', async () => {
    vi.useRealTimers();
    const limiter = new QuotaLimiter({ perUserPerMinute: 1000, perProjectPerMinute: 1000, maxConcurrent: 2 });
    let running = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limiter.run(`u${i % 3}@acme.test`, async () => {
          max = Math.max(max, ++running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    expect(max).toBe(2);
  });
});

describe('the gateway against a misbehaving Google (emulator faults, real client library)', () => {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let gateway: GoogleCalendarGateway;
  const events: GoogleCallEvent[] = [];
  const body = { summary: 'x', start: { dateTime: '2031-01-01T10:00:00Z' }, end: { dateTime: '2031-01-01T11:00:00Z' } };
  const primary = { calendarId: 'primary', subject: 'rep@acme.test' };

  beforeAll(async () => {
    vi.useRealTimers();
    emulator = await startEmulator();
    const key = await generateServiceAccountKey();
    emulator.registerServiceAccount(key, { domainWideDelegation: true });
    gateway = new GoogleCalendarGateway({
      credentials: key,
      apiBaseUrl: emulator.url,
      timeoutMs: 300,
      retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxTotalMs: 5_000 },
      observer: { onCall: (e) => events.push(e) },
    });
    await gateway.checkAccess(primary.subject);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  beforeEach(() => {
    vi.useRealTimers();
    events.length = 0;
    emulator.control.clearFaults();
  });

  it('retries 503s and 429s until Google answers', async () => {
    emulator.control.injectFaults([
      { method: 'events.insert', status: 503, times: 1 },
      { method: 'events.insert', status: 429, times: 1 },
    ]);
    const created = await gateway.insertEvent(primary, body, { id: 'rtest00001', createMeetLink: false });
    expect(created.id).toBe('rtest00001');
    expect(events.filter((e) => e.operation === 'events.insert').map((e) => e.outcome)).toEqual(['unavailable', 'rate_limited', 'success']);
    // Exactly one event despite three inserts: the id is ours.
    expect(emulator.control.listEvents('rep@acme.test').filter((e) => e.id === 'rtest00001')).toHaveLength(1);
  });

  it("honours Google's Retry-After and retries 403 rate limits", async () => {
    emulator.control.injectFaults([{ method: 'events.get', status: 403, reason: 'userRateLimitExceeded', retryAfterSeconds: 1, times: 1 }]);
    await gateway.getEvent(primary, 'rtest00001');
    const first = events.find((e) => e.operation === 'events.get');
    expect(first).toMatchObject({ outcome: 'rate_limited', status: 403 });
    expect(first?.retryInMs).toBeGreaterThanOrEqual(1000);
  });

  it('does not retry other 4xx', async () => {
    emulator.control.injectFaults([{ method: 'events.get', status: 400, reason: 'invalid', times: 'always' }]);
    await expect(gateway.getEvent(primary, 'rtest00001')).rejects.toMatchObject({ kind: 'invalid', status: 400 });
    expect(events.filter((e) => e.operation === 'events.get')).toHaveLength(1);
  });

  it('gives up after the bounded attempts with a retryable, classified error', async () => {
    emulator.control.injectFaults([{ method: 'events.list', status: 503, times: 'always' }]);
    await expect(gateway.listEvents(primary, {})).rejects.toMatchObject({ kind: 'unavailable', retryable: true });
    expect(events.filter((e) => e.operation === 'events.list')).toHaveLength(4);
  });

  it('retries answers slower than the timeout and dropped connections', async () => {
    emulator.control.injectFaults([
      { method: 'events.get', delayMs: 1_000, times: 1 },
      { method: 'events.get', dropConnection: true, times: 1 },
    ]);
    await gateway.getEvent(primary, 'rtest00001');
    expect(events.filter((e) => e.operation === 'events.get').map((e) => e.outcome)).toEqual(['unavailable', 'unavailable', 'success']);
  });

  it('retries a token endpoint outage itself (the library does not retry behind our back)', async () => {
    const key = await generateServiceAccountKey();
    emulator.registerServiceAccount(key, { domainWideDelegation: true });
    const seen: GoogleCallEvent[] = [];
    const fresh = new GoogleCalendarGateway({
      credentials: key,
      apiBaseUrl: emulator.url,
      retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxTotalMs: 5_000 },
      observer: { onCall: (e) => seen.push(e) },
    });
    emulator.control.resetStats();
    emulator.control.injectFaults([{ method: 'token', status: 503, times: 2 }]);
    await fresh.getEvent(primary, 'rtest00001');
    expect(seen.map((e) => e.outcome)).toEqual(['unavailable', 'unavailable', 'success']);
    expect(emulator.control.stats().token).toBe(3);
  });
});
