import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { generateServiceAccountKey, startEmulator, type RunningEmulator, type ServiceAccountKey } from '../src/index.ts';
import { Quotas } from '../src/quota.ts';
import { failure, googleAuth, googleCalendar } from './google-client.ts';
import { at, useEmulator } from './fixture.ts';

const event = { summary: 'Call', start: at('2030-01-01T10:00:00Z'), end: at('2030-01-01T11:00:00Z') };
const REPS = ['rep1@acme.test', 'rep2@acme.test', 'rep3@acme.test'] as const;
const PROJECT = 'calsync-test';

const USER_RATE_LIMIT = {
  error: { errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' }], code: 403, message: 'User Rate Limit Exceeded' },
};
const RATE_LIMIT_403 = {
  error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 403, message: 'Rate Limit Exceeded' },
};
const RATE_LIMIT_429 = {
  error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 429, message: 'Rate Limit Exceeded' },
};

describe('quotas are off by default', () => {
  const f = useEmulator();

  it('Google’s limits are the defaults, but nothing is refused: 601 calls of one user in a minute are all served', async () => {
    expect(f.emu.control.quotaStats().settings).toEqual({ enabled: false, perProjectPerMinute: 10_000, perUserPerMinute: 600, status: 403, countRefused: true });
    const { token } = await googleAuth(f.emu.url, f.delegatedKey, { subject: 'alice@example.com' }).getAccessToken();
    const list = (): Promise<number> =>
      fetch(`${f.emu.url}/calendar/v3/calendars/primary/events`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const statuses: number[] = [];
    for (let batch = 0; batch < 601; batch += 50) statuses.push(...(await Promise.all(Array.from({ length: Math.min(50, 601 - batch) }, list))));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const stats = f.emu.control.quotaStats();
    expect(stats.projects[PROJECT]?.users['alice@example.com']).toEqual({ window: 601, served: 601, refused: { user: 0, project: 0 } });
  });
});

describe('quotas switched on (injectable clock)', () => {
  let now = Date.UTC(2030, 0, 1, 9, 0, 0);
  let emu: RunningEmulator;
  let key: ServiceAccountKey;
  const rep: Record<string, calendar_v3.Calendar> = {};

  beforeAll(async () => {
    emu = await startEmulator({ now: () => now, quotas: { enabled: true, perUserPerMinute: 5, perProjectPerMinute: 8 } });
    key = await generateServiceAccountKey({ clientEmail: 'sync@calsync-test.iam.gserviceaccount.com' });
    emu.registerServiceAccount(key, { domainWideDelegation: ['acme.test'] });
    emu.control.addDomain('acme.test', { users: [...REPS] });
    for (const r of REPS) rep[r] = googleCalendar(emu.url, key, { subject: r });
  });
  beforeEach(() => {
    emu.control.reset();
  });
  afterAll(async () => {
    await emu?.close();
  });

  const list = (r: string): Promise<unknown> => rep[r]!.events.list({ calendarId: 'primary' });
  const times = async (n: number, r: string): Promise<void> => {
    for (let i = 0; i < n; i++) await list(r);
  };

  it('over the per-user limit: 403 userRateLimitExceeded in Google’s envelope, while another user is still served', async () => {
    await times(5, REPS[0]);
    const err = await failure(list(REPS[0]));
    expect(err).toMatchObject({ status: 403, reason: 'userRateLimitExceeded' });
    expect(err.body).toEqual(USER_RATE_LIMIT);
    expect((await rep[REPS[1]]!.events.list({ calendarId: 'primary' })).status).toBe(200);
    // A refused write changes nothing.
    expect(await failure(rep[REPS[0]]!.events.insert({ calendarId: 'primary', requestBody: event }))).toMatchObject({ status: 403 });
    expect(emu.control.listEvents(REPS[0])).toEqual([]);
  });

  it('the window slides: calls leave it 60 s after they were made', async () => {
    await times(3, REPS[0]);
    now += 30_000;
    await times(2, REPS[0]);
    expect(await failure(list(REPS[0]))).toMatchObject({ status: 403, reason: 'userRateLimitExceeded' });
    now += 29_000; // 59 s after the first three: still in the window
    expect(await failure(list(REPS[0]))).toMatchObject({ status: 403 });
    now += 1_000; // 60 s: the first three have left; the 2 served and 2 refused at 30 s and 59 s remain
    await list(REPS[0]);
    expect(await failure(list(REPS[0]))).toMatchObject({ status: 403 });
    now += 60_000;
    await times(5, REPS[0]);
  });

  it('countRefused: false lets only served calls use up the window', async () => {
    emu.control.configureQuotas({ countRefused: false });
    await times(5, REPS[0]);
    for (let i = 0; i < 3; i++) expect(await failure(list(REPS[0]))).toMatchObject({ status: 403 });
    expect(emu.control.quotaStats().projects[PROJECT]?.users[REPS[0]]).toEqual({ window: 5, served: 5, refused: { user: 3, project: 0 } });
  });

  it('over the project limit across users: 403 rateLimitExceeded in the usageLimits domain', async () => {
    await times(3, REPS[0]);
    await times(3, REPS[1]);
    await times(2, REPS[2]);
    const err = await failure(list(REPS[2]));
    expect(err).toMatchObject({ status: 403, reason: 'rateLimitExceeded' });
    expect(err.body).toEqual(RATE_LIMIT_403);
    const stats = emu.control.quotaStats().projects[PROJECT];
    expect(stats).toMatchObject({ window: 9, served: 8, refused: { user: 0, project: 1 } });
    expect(stats?.users[REPS[2]]).toEqual({ window: 3, served: 2, refused: { user: 0, project: 1 } });
  });

  it('another project has its own project quota; the per-user quota is per user per project', async () => {
    const other = await generateServiceAccountKey({ clientEmail: 'sync@other-project.iam.gserviceaccount.com' });
    emu.registerServiceAccount(other, { domainWideDelegation: true });
    await times(5, REPS[0]);
    await times(3, REPS[1]);
    const viaOther = googleCalendar(emu.url, other, { subject: REPS[0] });
    for (let i = 0; i < 5; i++) expect((await viaOther.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(await failure(viaOther.events.list({ calendarId: 'primary' }))).toMatchObject({ status: 403, reason: 'userRateLimitExceeded' });
    expect(Object.keys(emu.control.quotaStats().projects).sort()).toEqual(['calsync-test', 'other-project']);
  });

  it('the 429 form: rateLimitExceeded with code 429, for the user limit as for the project limit', async () => {
    emu.control.configureQuotas({ status: 429 });
    // An insert (POST) so the client library does not retry the 429 by itself.
    for (let i = 0; i < 5; i++) await rep[REPS[0]]!.events.insert({ calendarId: 'primary', requestBody: event });
    const err = await failure(rep[REPS[0]]!.events.insert({ calendarId: 'primary', requestBody: event }));
    expect(err).toMatchObject({ status: 429, reason: 'rateLimitExceeded' });
    expect(err.body).toEqual(RATE_LIMIT_429);
    expect(emu.control.listEvents(REPS[0])).toHaveLength(5);
  });

  it('counts: per user and per project, window and totals, token calls excluded; resetQuotaStats starts over', async () => {
    const start = now;
    // A fresh client fetches a token first: that call is not an API request.
    const fresh = googleCalendar(emu.url, key, { subject: REPS[0] });
    for (let i = 0; i < 2; i++) await fresh.events.list({ calendarId: 'primary' });
    await times(5, REPS[1]);
    await failure(list(REPS[1]));
    expect(emu.control.stats()).toMatchObject({ token: 1, 'events.list': 8 });
    const s = emu.control.quotaStats();
    expect(s).toMatchObject({ windowMs: 60_000, sinceMs: start, nowMs: now });
    expect(s.projects).toEqual({
      [PROJECT]: {
        window: 8,
        served: 7,
        refused: { user: 1, project: 0 },
        users: {
          [REPS[0]]: { window: 2, served: 2, refused: { user: 0, project: 0 } },
          [REPS[1]]: { window: 6, served: 5, refused: { user: 1, project: 0 } },
        },
      },
    });
    now += 60_000;
    expect(emu.control.quotaStats().projects[PROJECT]).toMatchObject({ window: 0, served: 7 });
    emu.control.resetQuotaStats();
    expect(emu.control.quotaStats()).toMatchObject({ projects: {}, sinceMs: now });
  });

  it('a service account registered over HTTP uses the project_id of the posted key JSON, or `project`', async () => {
    const post = (body: unknown): Promise<Response> =>
      fetch(`${emu.url}/__emulator/service-accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const a = await generateServiceAccountKey({ clientEmail: 'a@calsync-test.iam.gserviceaccount.com' });
    const b = await generateServiceAccountKey({ clientEmail: 'b@calsync-test.iam.gserviceaccount.com' });
    expect((await post({ ...a, project_id: 'from-key-json', domainWideDelegation: true })).status).toBe(204);
    expect((await post({ ...b, project: 'from-option', domainWideDelegation: true })).status).toBe(204);
    await googleCalendar(emu.url, a, { subject: REPS[0] }).events.list({ calendarId: 'primary' });
    await googleCalendar(emu.url, b, { subject: REPS[0] }).events.list({ calendarId: 'primary' });
    expect(Object.keys(emu.control.quotaStats().projects).sort()).toEqual(['from-key-json', 'from-option']);
  });

  it('a bare service account is its own user', async () => {
    const bare = await generateServiceAccountKey({ clientEmail: 'bare@calsync-test.iam.gserviceaccount.com' });
    emu.registerServiceAccount(bare);
    await googleCalendar(emu.url, bare).events.list({ calendarId: 'primary' });
    expect(emu.control.quotaStats().projects[PROJECT]?.users).toHaveProperty(['bare@calsync-test.iam.gserviceaccount.com']);
  });

  it('settings change at run time over HTTP; reset() restores the start options', async () => {
    const post = (body: unknown): Promise<Response> =>
      fetch(`${emu.url}/__emulator/quotas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await post({ perUserPerMinute: 1 });
    expect(await res.json()).toEqual({ enabled: true, perProjectPerMinute: 8, perUserPerMinute: 1, status: 403, countRefused: true });
    await list(REPS[0]);
    expect(await failure(list(REPS[0]))).toMatchObject({ status: 403, reason: 'userRateLimitExceeded' });
    const stats = (await (await fetch(`${emu.url}/__emulator/quotas/stats`)).json()) as { projects: Record<string, { served: number }> };
    expect(stats.projects[PROJECT]?.served).toBe(1);
    expect((await post({ status: 500 })).status).toBe(400);
    expect((await post({ enabled: false })).status).toBe(200);
    await times(3, REPS[0]);
    expect((await fetch(`${emu.url}/__emulator/quotas/stats/reset`, { method: 'POST' })).status).toBe(204);
    expect(emu.control.quotaStats().projects).toEqual({});
    emu.control.reset();
    expect(emu.control.quotaStats().settings).toMatchObject({ enabled: true, perUserPerMinute: 5 });
  });
});

describe('bookkeeping cost', () => {
  it('is O(1) per request: 1,000,000 requests over 10,000 users and a moving clock', () => {
    let t = 0;
    const q = new Quotas({ enabled: true, perUserPerMinute: 1_000_000, perProjectPerMinute: 1_000_000_000 }, () => t);
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      t += 7; // ~140k requests per second of emulator time: every bucket is touched
      q.admit('p', `rep${i % 10_000}@acme.test`);
    }
    const ms = performance.now() - started;
    const stats = q.stats();
    expect(stats.projects.p?.served).toBe(1_000_000);
    expect(Object.keys(stats.projects.p?.users ?? {})).toHaveLength(10_000);
    // Well under a microsecond each here; the bound only catches a per-call scan of the window or of all users.
    expect(ms).toBeLessThan(5_000);
  });
});
