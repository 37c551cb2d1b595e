import type { EmulatorControl } from '@calsync/google-calendar-emulator';
import { describe, expect, it } from 'vitest';
import { clientFor } from './support/client.ts';
import { parseSamples, valueOf } from './support/prometheus.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';
import { eventually, useBackingServices, useSystem } from './support/system.ts';

// Google's per-user quota (requests per minute per user, over a sliding window) as a rep meets
// it: the emulator enforces it over HTTP, its clock is moved instead of waiting a real minute.
const DOMAIN = 'acme.test';
const A = `rep.a@${DOMAIN}`;
const B = `rep.b@${DOMAIN}`;
const meeting = (summary: string, i: number) => {
  const start = Date.UTC(2031, 6, 1 + i, 10);
  return { summary, startTime: new Date(start), endTime: new Date(start + 1800_000), createMeetLink: false };
};

/** One user's calls in the emulator's quota counts (one service account: one project). */
const usageOf = (control: EmulatorControl, user: string) => Object.values(control.quotaStats().projects)[0]?.users[user];

/**
 * `n` concurrent createEvent calls of one user, each its own HTTP request (one client would
 * batch calls made together into one request, answered when the last of them is).
 */
async function separateCalls(url: string, user: string, email: string, n: number, summary: (i: number) => string) {
  const clients = await Promise.all(Array.from({ length: n }, () => clientFor(url, user, { email })));
  return clients.map((c, i) => tracked(c.client.calendar.createEvent.mutate(meeting(summary(i), i))));
}

/** A promise, whether it has settled yet (the rep's page still waiting, or answered), and its error if it failed. */
function tracked<T>(p: Promise<T>) {
  const t: { settled: boolean; error: unknown; promise: Promise<T> } = { settled: false, error: undefined, promise: p };
  p.then(
    () => (t.settled = true),
    (err: unknown) => {
      t.settled = true;
      t.error = err;
    },
  );
  return t;
}
const errorsOf = (calls: Array<{ error: unknown }>) => calls.flatMap((c) => (c.error === undefined ? [] : [String(c.error)]));

describe('Google allows a rep fewer calls than the server thinks', () => {
  const GOOGLE_PER_USER = 5;
  const CALLS = 12;
  // The emulator's clock: real time plus whatever the test has moved it on.
  let skewMs = 0;
  const sys = useSystem({
    emulator: { quotas: { enabled: true, perUserPerMinute: GOOGLE_PER_USER }, now: () => Date.now() + skewMs },
    env: {
      GOOGLE_WORKSPACE_DOMAINS: DOMAIN,
      // The server believes Google's default (600 a minute per user): Google really refuses.
      // "While there is time" is the time budget (GOOGLE_RETRY_MAX_TOTAL, 30 s): attempts are
      // raised so that it, not a count, bounds the wait. With the default 5 and full-jitter
      // backoff a call refused in a row can give up within a second or two, before a loaded
      // machine has moved the clock.
      GOOGLE_RETRY_MAX_ATTEMPTS: '12',
    },
  });
  const refused = (user: string) => {
    const r = usageOf(sys.emulator.control, user)?.refused;
    return (r?.user ?? 0) + (r?.project ?? 0);
  };

  it('absorbs the refusals: the rep sees no error, every call succeeds once the window frees, another rep is served meanwhile', async () => {
    sys.emulator.control.addDomain(DOMAIN, { users: [A, B] });
    const a = (await clientFor(sys.app.url, 'user-a', { email: A })).client;
    const b = (await clientFor(sys.app.url, 'user-b', { email: B })).client;
    await a.calendar.connect.mutate();
    await b.calendar.connect.mutate();
    // Each write's push notification would start a sync competing for the same few calls: the
    // rep's own calls are what is measured.
    sys.emulator.control.configureNotifications({ paused: true }, A);
    sys.emulator.control.resetQuotaStats();

    const calls = await separateCalls(sys.app.url, 'user-a', A, CALLS, (i) => `A burst ${i}`);
    await eventually(() => expect(refused(A)).toBeGreaterThan(0));

    // B's call while A's wait (their window is frozen until the clock moves): served at once,
    // not after A's turn.
    const bEvent = await b.calendar.createEvent.mutate(meeting('B meanwhile', 0));
    expect(bEvent.calendarId).toBe(B);
    expect(errorsOf(calls)).toEqual([]);
    expect(calls.filter((c) => !c.settled).length).toBeGreaterThanOrEqual(CALLS - GOOGLE_PER_USER);
    expect(refused(B)).toBe(0);

    // The window frees as the clock moves on; each time Google refuses again, a minute passes.
    const all = Promise.allSettled(calls.map((c) => c.promise));
    let done = false;
    void all.then(() => (done = true));
    while (!done) {
      const before = refused(A);
      skewMs += 61_000;
      await eventually(() => expect(done || refused(A) > before).toBe(true), 30_000);
    }
    await all;
    expect(errorsOf(calls)).toEqual([]);

    // Google really refused (the calls in flight when the window filled; a refusal holds the
    // rep's other calls back in the server rather than sending them to be refused too).
    expect(usageOf(sys.emulator.control, A)?.refused.user).toBeGreaterThan(0);
    const inGoogle = sys.emulator.control.listEvents(A).map((e) => e.summary);
    for (let i = 0; i < CALLS; i++) expect(inGoogle).toContain(`A burst ${i}`);
    const rows = await sys.sql.query(`select count(*)::int as n from calendar_events where calendar_id = $1 and summary like 'A burst %'`, [A]);
    expect(rows.rows[0].n).toBe(CALLS);
  });
});

describe("the server's own per-user limit is lower than Google's", () => {
  const SERVER_PER_USER = 6;
  const GOOGLE_PER_USER = 9;
  const CALLS = 8;
  const METRICS_TOKEN = 'metrics-token-for-end-to-end-tests-0123456789';
  const backing = useBackingServices({ emulator: { quotas: { enabled: true, perUserPerMinute: GOOGLE_PER_USER } } });

  it('holds the calls over its limit itself: Google refuses none, and another rep is served meanwhile', async () => {
    backing.emulator.control.addDomain(DOMAIN, { users: [A, B] });
    // A process of its own: the calls it holds wait a real minute, and it is killed with them.
    const server: ServerProcess = await startServerProcess({
      ...backing.env,
      GOOGLE_WORKSPACE_DOMAINS: DOMAIN,
      GOOGLE_QUOTA_PER_USER_PER_MINUTE: String(SERVER_PER_USER),
      METRICS_TOKEN,
    });
    try {
      const a = (await clientFor(server.url, 'user-a', { email: A })).client;
      const b = (await clientFor(server.url, 'user-b', { email: B })).client;
      await a.calendar.connect.mutate();
      await b.calendar.connect.mutate();
      backing.emulator.control.configureNotifications({ paused: true }, A);
      const usage = () => usageOf(backing.emulator.control, A);
      // Connecting costs a few calls (the watch, the initial listings), in both windows alike.
      const connecting = usage()?.served ?? 0;
      expect(connecting).toBeGreaterThan(0);
      expect(connecting).toBeLessThan(SERVER_PER_USER);

      const calls = await separateCalls(server.url, 'user-a', A, CALLS, (i) => `A ${i}`);
      const queued = async () => {
        const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        return valueOf(parseSamples(await res.text()), 'calsync_google_queued_calls');
      };
      const held = connecting + CALLS - SERVER_PER_USER;
      await eventually(async () => {
        expect(usage()?.served).toBe(SERVER_PER_USER);
        expect(await queued()).toBe(held);
        expect(calls.filter((c) => c.settled)).toHaveLength(SERVER_PER_USER - connecting);
      });
      // Sent on, they would have gone over Google's limit; held here, Google refused none.
      expect(connecting + CALLS).toBeGreaterThan(GOOGLE_PER_USER);
      expect(usage()?.refused).toEqual({ user: 0, project: 0 });

      // A's calls wait most of a minute for their turn; B's call goes at once, not behind them.
      const bCall = tracked(b.calendar.createEvent.mutate(meeting('B meanwhile', 0)));
      await eventually(() => expect(bCall.settled, "B's call waited behind A's").toBe(true), 10_000);
      expect((await bCall.promise).calendarId).toBe(B);
      expect(calls.filter((c) => !c.settled)).toHaveLength(held);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});
