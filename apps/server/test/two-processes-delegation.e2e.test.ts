import type { CalendarClient } from '@calsync/client';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientFor } from './support/client.ts';
import { flushPage, openPage, type Page } from './support/pages.ts';
import { parseSamples, valueOf } from './support/prometheus.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';
import { eventually, useBackingServices } from './support/system.ts';

// Two real server processes (two replicas behind a load balancer) on one database and one Google,
// each rep with their own calendar (domain-wide delegation): the reps connect through one
// replica, notifications reach both, jobs run on both; a calendar is never synced twice at once,
// each job run happens once, and a page on one replica hears its own calendar's changes made
// through the other and nobody else's.
const DOMAIN = 'acme.test';
const A = `rep.a@${DOMAIN}`;
const B = `rep.b@${DOMAIN}`;
const C = `rep.c@${DOMAIN}`;
const REPS = [A, B, C];
const METRICS_TOKEN = 'metrics-token-for-end-to-end-tests-0123456789';

const backing = useBackingServices({
  env: {
    GOOGLE_WORKSPACE_DOMAINS: DOMAIN,
    SYNC_MIN_INTERVAL_MS: '0',
    METRICS_TOKEN,
    // Reconcile every second on both replicas, all through the test: it syncs too.
    JOBS_ENABLED: 'true',
    JOBS_PROCESS_EVERY: '100ms',
    JOB_RECONCILE_EVERY: '1 second',
    JOB_CALENDARS_PER_MINUTE: '0',
  },
});
let first: ServerProcess;
let second: ServerProcess;
let sql: pg.Pool;
/** Each rep's client on each replica. */
const on = new Map<ServerProcess, Map<string, CalendarClient>>();
const as = (server: ServerProcess, rep: string): CalendarClient => {
  const client = on.get(server)?.get(rep);
  if (!client) throw new Error(`no client for ${rep}`);
  return client;
};

beforeAll(async () => {
  backing.emulator.control.addDomain(DOMAIN, { users: REPS });
  sql = new pg.Pool({ connectionString: backing.db.url, max: 2 });
  // Started together: their migrations race too.
  [first, second] = await Promise.all([startServerProcess(backing.env), startServerProcess(backing.env)]);
  for (const server of [first, second]) {
    on.set(server, new Map(await Promise.all(REPS.map(async (rep) => [rep, (await clientFor(server.url, rep, { email: rep })).client] as const))));
  }
  // 300 events each, there before connecting (seeded silently later, reconcile would find them
  // missed and move the channel to its own replica).
  const seeded = Array.from({ length: 300 }, (_, i) => ({ summary: `seeded ${i}`, start: { dateTime: '2031-08-01T10:00:00Z' }, end: { dateTime: '2031-08-01T11:00:00Z' } }));
  for (const rep of REPS) backing.emulator.control.seedEvents(rep, seeded);
  // Every rep connects through the first replica; B and C then reopen their channel through the
  // second, whose address it carries: A's notifications go to the first, B's and C's to the second.
  for (const rep of REPS) await as(first, rep).calendar.connect.mutate();
  for (const rep of [B, C]) await as(second, rep).calendar.watch.mutate();
}, 90_000);

afterAll(async () => {
  await Promise.all([first, second].map((s) => s?.stop()));
  await sql?.end();
});

const accepted = async (server: ServerProcess) => {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return valueOf(parseSamples(await res.text()), 'calsync_webhook_notifications_total', { result: 'accepted' }) ?? 0;
};

it("never syncs one rep's calendar in two processes at once, however syncs are started on both", async () => {
  const heard = await Promise.all([first, second].map(accepted));
  // Slow Google answers widen any overlap.
  backing.emulator.control.setLatency(20);
  backing.emulator.control.resetStats();

  // Full syncs of every rep's calendar on both replicas at once, while people edit every
  // calendar in Google (notifications to both replicas) and reconcile runs on both.
  const edits = (async () => {
    for (let i = 0; i < 10; i++) {
      for (const rep of REPS) backing.emulator.control.createEvent(rep, { summary: `edit ${i}`, start: { dateTime: '2031-08-02T10:00:00Z' }, end: { dateTime: '2031-08-02T11:00:00Z' } });
      // Spread over the syncs, not waiting for anything.
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  const syncs = REPS.flatMap((rep) => [first, second].flatMap((server) => Array.from({ length: 3 }, () => as(server, rep).calendar.sync.mutate({ full: true }))));
  await Promise.all([...syncs, edits]);
  await backing.emulator.control.notificationsIdle();
  // Anything a notification's sync could not take in yet, this one does.
  for (const rep of REPS) await as(second, rep).calendar.sync.mutate();
  backing.emulator.control.setLatency(0);

  const inFlight = backing.emulator.control.concurrency();
  for (const rep of REPS) expect(inFlight[`events.list ${rep}`]?.max, rep).toBe(1);
  expect(backing.emulator.control.stats()['events.list']).toBeGreaterThanOrEqual(REPS.length * 6);
  const after = await Promise.all([first, second].map(accepted));
  expect(after[0]).toBeGreaterThan(heard[0] ?? 0);
  expect(after[1]).toBeGreaterThan(heard[1] ?? 0);
  // And each copy is exact, read through either replica.
  for (const rep of REPS) {
    const page = await as(first, rep).calendar.listEvents.query({ timeMin: new Date('2031-08-01T00:00:00Z'), timeMax: new Date('2031-08-03T00:00:00Z'), limit: 2500 });
    expect(page.items.length, rep).toBe(backing.emulator.control.listEvents(rep).filter((e) => e.status !== 'cancelled').length);
    expect(page.items.length, rep).toBe(310);
  }
}, 60_000);

it("a rep's page on the second replica hears their own calendar's changes made through the first, and not another rep's", async () => {
  const open = async (rep: string): Promise<Page> => {
    const opened = await openPage(as(second, rep), sql, rep);
    if ('error' in opened) throw opened.error;
    return opened.page;
  };
  const aPage = await open(A);
  const bPage = await open(B);
  try {
    // B's calendar changes, through the first replica and in Google: B's page hears it, A's not.
    const bEvent = await as(first, B).calendar.createEvent.mutate({ summary: 'B: made on the first replica', startTime: new Date('2031-09-01T10:00:00Z'), endTime: new Date('2031-09-01T11:00:00Z'), createMeetLink: false });
    backing.emulator.control.editEvent(B, bEvent.googleEventId, { summary: 'B: edited in Google' });
    await eventually(() => {
      expect(bPage.changes()).toContainEqual(expect.objectContaining({ source: 'write', changed: 1 }));
      expect(bPage.changes()).toContainEqual(expect.objectContaining({ source: 'sync', changed: 1 }));
    });
    await flushPage(aPage, sql);
    expect(aPage.changes()).toEqual([]);

    // A's own calendar changes the same ways: A's page hears both.
    const aEvent = await as(first, A).calendar.createEvent.mutate({ summary: 'A: made on the first replica', startTime: new Date('2031-09-02T10:00:00Z'), endTime: new Date('2031-09-02T11:00:00Z'), createMeetLink: false });
    backing.emulator.control.editEvent(A, aEvent.googleEventId, { summary: 'A: edited in Google' });
    await eventually(() => {
      expect(aPage.changes()).toContainEqual(expect.objectContaining({ source: 'write', changed: 1 }));
      expect(aPage.changes()).toContainEqual(expect.objectContaining({ source: 'sync', changed: 1 }));
    });
    const week = await as(second, A).calendar.listEvents.query({ timeMin: new Date('2031-09-01T00:00:00Z'), timeMax: new Date('2031-09-08T00:00:00Z') });
    expect(week.items.map((e) => e.summary)).toEqual(['A: edited in Google']);
  } finally {
    aPage.stop();
    bPage.stop();
  }
});

it('runs each reconcile once, never two at a time, each calendar once per run, whichever replica takes it', async () => {
  const since = new Date();
  const log = async () =>
    (
      await sql.query<{ event: string; timestamp: Date; agenda_name: string }>(
        `select event, timestamp, agenda_name from agenda_logs where job_name = 'reconcile' and event in ('start', 'complete') and timestamp >= $1 order by timestamp, event desc`,
        [since],
      )
    ).rows;
  await eventually(async () => expect((await log()).filter((l) => l.event === 'complete').length).toBeGreaterThanOrEqual(4), 20_000);
  // Started and completed in turn: no run began while another was going.
  const events = (await log()).map((l) => l.event);
  const done = events.lastIndexOf('complete') + 1;
  expect(events.slice(events.indexOf('start'), done).join(' ')).toMatch(/^(start complete ?)+$/);
  const starts = (await log()).filter((l) => l.event === 'start');
  for (let i = 1; i < starts.length; i++) expect((starts[i]?.timestamp.getTime() ?? 0) - (starts[i - 1]?.timestamp.getTime() ?? 0)).toBeGreaterThan(800);

  // Each run reconciled each calendar once.
  const recs = await sql.query<{ calendar_id: string; ran_at: Date; n: number }>(
    `select calendar_id, ran_at, count(*)::int as n from sync_reconciliations where ran_at >= $1 group by calendar_id, ran_at`,
    [since],
  );
  expect(recs.rows.filter((r) => r.n > 1)).toEqual([]);
  for (const rep of REPS) expect(recs.rows.filter((r) => r.calendar_id === rep).length, rep).toBeGreaterThanOrEqual(3);
}, 30_000);
