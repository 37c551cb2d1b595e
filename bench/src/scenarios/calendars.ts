import { createTestDatabase, type TestDatabase } from '@calsync/db/testing';
import type { QuotaStats } from '@calsync/google-calendar-emulator';
import { clientFor, type UserClient } from '@calsync/server/test/support/client.ts';
import { parseSamples, type Sample } from '@calsync/server/test/support/prometheus.ts';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import superjson from 'superjson';
import type { Sizes } from '../modes.ts';
import { info, result, type Result } from '../report.ts';
import type { BenchServer, BenchSystem } from '../system.ts';
import { cpuMeter, type CpuMeter } from '../util/cpu.ts';
import { httpLoad, httpLoadAtRate, type LoadResult } from '../util/load.ts';
import { readMemory, rssBreakdown, steadyRss } from '../util/rss.ts';
import { round, summarize } from '../util/stats.ts';
import { pollUntil, sleep } from '../util/time.ts';

/**
 * Many reps' own calendars (domain-wide delegation) on one server process and one database:
 * onboarding, one renewal run, storms on many calendars at once, and what 10,000 calendars cost
 * at rest. The emulator's quotas are switched on and the server's gateway is given the same
 * limits, as it would be given Google's.
 */

/** The reps' Workspace domain in the emulator (the service account may delegate in any domain). */
export const REPS_DOMAIN = 'reps.bench.test';
/** Google's documented defaults; the emulator enforces them and the gateway is told them. */
export const PROJECT_QUOTA_PER_MINUTE = 10_000;
export const USER_QUOTA_PER_MINUTE = 600;
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
/** Longer than any phase: a token expiring mid-run would turn into refused requests. */
const TOKEN_LIFETIME = '2h';
/** The list page a rep's week view asks for: all 50 of their events (12.5 hours of meetings). */
const LIST_LIMIT = 100;
const LIST_CONNECTIONS = 2;

export interface CalendarsBench {
  reps: string[];
  /** Each rep's seeded event ids in Google. */
  eventIds: Map<string, string[]>;
  server: BenchServer;
  /** The calendars database (its own: the other phases' rows are not in it). */
  sql: pg.Pool;
  databaseUrl: string;
  system: BenchSystem;
  sizes: Sizes;
  seedSeconds: number;
  /** The window that holds every seeded event of a rep. */
  window: { timeMin: Date; timeMax: Date };
  client(rep: string): Promise<UserClient>;
  /** Starts counting the CPU of the server, this process (the emulator) and our database's backends. */
  cpu(): Promise<CpuMeter>;
  /** listEvents of rep 0 (the one-calendar run is the first measurement, the 10,000-calendar one the last). */
  baseline?: ListMeasurement;
  close(): Promise<void>;
}

export const rep = (i: number): string => `rep.${String(i).padStart(5, '0')}@${REPS_DOMAIN}`;

/**
 * The emulator's domain of `sizes.calendars` reps, each calendar seeded in bulk with
 * `sizes.calendarEvents` events (in process: no API calls, no notifications), quotas on; a fresh
 * database; and a server process in delegation mode with its jobs on.
 */
export async function setUpCalendars(system: BenchSystem, sizes: Sizes, log: (m: string) => void): Promise<CalendarsBench> {
  const { control } = system.emulator;
  const reps = Array.from({ length: sizes.calendars }, (_, i) => rep(i));
  const seedStarted = performance.now();
  control.addDomain(REPS_DOMAIN, { users: reps });
  const eventIds = new Map<string, string[]>();
  for (const r of reps) eventIds.set(r, control.seedEvents(r, sizes.calendarEvents).ids);
  const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
  log(`  seeded ${reps.length.toLocaleString('en-US')} calendars x ${sizes.calendarEvents} events in the emulator in ${seedSeconds} s`);
  const first = control.listEvents(rep(0)).map((e) => Date.parse(e.start?.dateTime ?? ''));
  const timeMin = new Date(Math.min(...first) - 3_600_000);
  const window = { timeMin, timeMax: new Date(timeMin.getTime() + 86_400_000) };

  control.configureQuotas({ enabled: true, perProjectPerMinute: PROJECT_QUOTA_PER_MINUTE, perUserPerMinute: USER_QUOTA_PER_MINUTE });
  control.resetQuotaStats();

  const db: TestDatabase = await createTestDatabase();
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const server = await system.startServer({ env: {
      DATABASE_URL: db.url,
      GOOGLE_WORKSPACE_DOMAINS: REPS_DOMAIN,
      GOOGLE_IMPERSONATE_USER: '',
      // Google's quotas as the emulator enforces them.
      GOOGLE_QUOTA_PER_PROJECT_PER_MINUTE: String(PROJECT_QUOTA_PER_MINUTE),
      GOOGLE_QUOTA_PER_USER_PER_MINUTE: String(USER_QUOTA_PER_MINUTE),
      JOBS_ENABLED: 'true',
      // Every channel (7 days) is due when the bench starts the renewal run.
      CHANNEL_RENEW_BEFORE: '8 days',
      // Unpaced: the quota limiter alone spreads the run, the hardest case for users' calls.
      JOB_CALENDARS_PER_MINUTE: '0',
      METRICS_TOKEN,
    } });
    // The first start runs each job once at once (over no calendars): over before any is connected.
    await pollUntil(
      async () => {
        const r = await sql.query<{ n: number }>(`select count(*)::int as n from agenda_jobs where repeat_interval is not null and last_finished_at is not null and locked_at is null`);
        return r.rows[0]?.n === 3 ? true : undefined;
      },
      { timeoutMs: 60_000, what: "the jobs' first runs", intervalMs: 200 },
    );
    const clients = new Map<string, Promise<UserClient>>();
    return {
      reps,
      eventIds,
      server,
      sql,
      databaseUrl: db.url,
      system,
      sizes,
      seedSeconds,
      window,
      cpu: () => cpuMeter({ serverPid: server.pid, sql, databaseUrl: db.url }),
      client(r) {
        let c = clients.get(r);
        if (!c) {
          c = clientFor(server.url, `user-${r}`, { email: r, expiresIn: TOKEN_LIFETIME });
          clients.set(r, c);
        }
        return c;
      },
      async close() {
        control.configureQuotas({ enabled: false });
        await server.process.stop();
        await sql.end();
        await db.drop();
      },
    };
  } catch (err) {
    control.configureQuotas({ enabled: false });
    await sql.end();
    await db.drop();
    throw err;
  }
}

export interface ListMeasurement {
  saturated: Omit<LoadResult, 'samples'>;
  atRate: Omit<LoadResult, 'samples'>;
  calendars: number;
  rows: number;
}

/** listEvents of rep 0's day (all 50 events), tRPC over HTTP: saturated, then at a steady rate. */
async function measureList(b: CalendarsBench, calendars: number): Promise<ListMeasurement> {
  const { token } = await b.client(rep(0));
  const input = { timeMin: b.window.timeMin, timeMax: b.window.timeMax, limit: LIST_LIMIT };
  const url = `${b.server.url}/trpc/calendar.listEvents?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
  const headers = { authorization: `Bearer ${token}` };
  const res = await fetch(url, { headers });
  const body = (await res.json()) as { result?: { data?: { json?: { items?: unknown[] } } } };
  const items = body.result?.data?.json?.items?.length;
  if (!res.ok || items !== b.sizes.calendarEvents) throw new Error(`listEvents of ${rep(0)} answered ${res.status} with ${items} items (expected ${b.sizes.calendarEvents})`);
  await httpLoad({ url, headers, connections: LIST_CONNECTIONS, seconds: 1 });
  const { samples: _s, ...saturated } = await httpLoad({ url, headers, connections: LIST_CONNECTIONS, seconds: b.sizes.calendarListSeconds });
  const { samples: _r, ...atRate } = await httpLoadAtRate({ url, headers, connections: LIST_CONNECTIONS, seconds: b.sizes.calendarListSeconds, ratePerSecond: CALENDAR_LIST_RATE });
  if (saturated.failures > 0 || atRate.failures > 0) throw new Error(`listEvents load had failures: ${saturated.failures} saturated, ${atRate.failures} at rate`);
  const rows = await b.sql.query<{ n: number }>('select count(*)::int as n from calendar_events');
  return { saturated, atRate, calendars, rows: rows.rows[0]?.n ?? 0 };
}
/** A steady rate well below saturation, the same in both runs. */
const CALENDAR_LIST_RATE = 50;

/** The one-calendar run: rep 0 connected alone, its list measured before any other calendar exists. */
export async function oneCalendarScenario(b: CalendarsBench): Promise<Result[]> {
  const { client } = await b.client(rep(0));
  await client.calendar.connect.mutate();
  await b.system.emulator.control.notificationsIdle();
  b.baseline = await measureList(b, 1);
  return [info('calendars: listEvents p99, one calendar (saturated)', b.baseline.saturated.latency.p99, 'ms', { ...b.baseline })];
}

/** Calls to Google (token calls excluded: they count against no Calendar quota) since `before`. */
function apiCallsSince(b: CalendarsBench, before: ReturnType<BenchSystem['emulator']['control']['stats']>): { total: number; byMethod: Record<string, number> } {
  const now = b.system.emulator.control.stats();
  const byMethod: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) {
    if (k === 'total' || k === 'token') continue;
    const d = v - (before[k as keyof typeof before] ?? 0);
    if (d > 0) byMethod[k] = d;
  }
  return { total: Object.values(byMethod).reduce((s, v) => s + v, 0), byMethod };
}

/** Google's quota refusals so far (the emulator's counts, every project). */
function refusals(stats: QuotaStats): { user: number; project: number } {
  let user = 0;
  let project = 0;
  for (const p of Object.values(stats.projects)) {
    user += p.refused.user;
    project += p.refused.project;
  }
  return { user, project };
}

/** Per delegated user: API requests Google served since the last quota reset. */
function servedPerUser(stats: QuotaStats): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of Object.values(stats.projects)) for (const [user, c] of Object.entries(p.users)) out.set(user, (out.get(user) ?? 0) + c.served);
  return out;
}

async function metrics(b: CalendarsBench): Promise<Sample[]> {
  const res = await fetch(`${b.server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return parseSamples(await res.text());
}

/** The gateway's attempts refused by Google for a quota (each retry counts), from the server's metrics. */
const rateLimitedAttempts = (samples: Sample[]) =>
  samples.filter((s) => s.name === 'calsync_google_api_calls_total' && s.labels['outcome'] === 'rate_limited').reduce((n, s) => n + s.value, 0);

/**
 * Connects every other rep's calendar the way a rep does (calendar.connect with their own
 * token: delegation checked, channel opened, initial sync), `connectConcurrency` at a time, and
 * compares the time with the least the project quota allows for the calls it took.
 */
export async function onboardingScenario(b: CalendarsBench, log: (m: string) => void): Promise<Result[]> {
  const { control } = b.system.emulator;
  const others = b.reps.slice(1);
  const clients = await Promise.all(others.map((r) => b.client(r)));
  const statsBefore = control.stats();
  const refusedBefore = refusals(control.quotaStats());
  const metricsBefore = rateLimitedAttempts(await metrics(b));
  const cpu = await b.cpu();
  const errors: string[] = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  const progress = setInterval(() => log(`  connected ${done.toLocaleString('en-US')} / ${others.length.toLocaleString('en-US')}`), 15_000);
  try {
    await Promise.all(
      Array.from({ length: b.sizes.connectConcurrency }, async () => {
        while (next < clients.length) {
          const c = clients[next++] as UserClient;
          try {
            await c.client.calendar.connect.mutate();
          } catch (err) {
            errors.push(`${c.user}: ${err instanceof Error ? err.message : String(err)}`);
          }
          done++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = await cpu.stop();
  const calls = apiCallsSince(b, statsBefore);
  const refusedAfter = refusals(control.quotaStats());
  const gatewayRateLimited = rateLimitedAttempts(await metrics(b)) - metricsBefore;
  await control.notificationsIdle();

  const counts = await b.sql.query<{ active: number; watched: number; events: number }>(
    `select (select count(*)::int from connected_calendars where state = 'active') as active,
            (select count(*)::int from calendar_sync_states where active) as watched,
            (select count(*)::int from calendar_events where status <> 'cancelled') as events`,
  );
  const c = counts.rows[0];
  const expected = b.reps.length;
  if (!c || c.active !== expected || c.watched !== expected || c.events !== expected * b.sizes.calendarEvents) {
    throw new Error(`after onboarding: ${JSON.stringify(c)}; expected ${expected} active and watched calendars, ${expected * b.sizes.calendarEvents} events; errors: ${errors.slice(0, 3).join('; ')}`);
  }
  const quotaBoundSeconds = (calls.total / PROJECT_QUOTA_PER_MINUTE) * 60;
  const details = {
    calendars: others.length,
    eventsPerCalendar: b.sizes.calendarEvents,
    seconds: round(seconds, 1),
    calendarsPerSecond: round(others.length / seconds, 1),
    apiCalls: calls,
    callsPerCalendar: round(calls.total / others.length, 2),
    projectQuotaPerMinute: PROJECT_QUOTA_PER_MINUTE,
    quotaBoundSeconds: round(quotaBoundSeconds, 1),
    googleRefusals: { user: refusedAfter.user - refusedBefore.user, project: refusedAfter.project - refusedBefore.project },
    gatewayRateLimitedAttempts: gatewayRateLimited,
    connectConcurrency: b.sizes.connectConcurrency,
    errors: errors.length,
    errorExamples: errors.slice(0, 5),
    emulatorSeedSeconds: b.seedSeconds,
    cpuSeconds: cpuUsed,
    cpuMsPerCalendar: perItem(cpuUsed, others.length),
    machine: machineShare(cpuUsed),
  };
  return [
    info(`calendars: onboarding ${others.length.toLocaleString('en-US')} (connect + watch + initial sync)`, round(seconds, 1), 's', details),
    info('  least the project quota allows (calls / quota per minute)', round(quotaBoundSeconds, 1), `s (${calls.total.toLocaleString('en-US')} calls at ${PROJECT_QUOTA_PER_MINUTE.toLocaleString('en-US')}/min)`),
    result('calendars: onboarding rate, % of the quota-bound rate', round((100 * quotaBoundSeconds) / seconds, 1), '%', { op: '>=', value: 80 }, details),
    result('calendars: onboarding connects that failed', errors.length, 'calls', { op: '=', value: 0 }, details),
  ];
}

/** Reps creating meetings while a job runs: what they see is what "reaches users". */
function repsAtWork(b: CalendarsBench, reps: string[], pauseMs: number) {
  let stopped = false;
  const latencies: number[] = [];
  const errors: Array<{ code: string; message: string }> = [];
  const loops = reps.map(async (r, k) => {
    const { client } = await b.client(r);
    await sleep((k * pauseMs) / reps.length);
    for (let i = 0; !stopped; i++) {
      const start = Date.UTC(2031, 0, 5 + (i % 300), 9 + (k % 8));
      const t0 = performance.now();
      try {
        await client.calendar.createEvent.mutate({ summary: `Call booked during renewal ${i}`, startTime: new Date(start), endTime: new Date(start + 1_800_000), createMeetLink: false });
        latencies.push(performance.now() - t0);
      } catch (err) {
        const code = (err as { data?: { code?: string } }).data?.code ?? 'UNKNOWN';
        errors.push({ code, message: err instanceof Error ? err.message : String(err) });
      }
      await sleep(pauseMs);
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return { calls: latencies.length + errors.length, latency: summarize(latencies), errors };
    },
  };
}

const QUOTA_ERROR = /quota|rate limit|TOO_MANY_REQUESTS/i;

/**
 * One run of the renewal job in the server (every channel due), started through Agenda's table as
 * a schedule would; meanwhile a few reps keep creating meetings (each a Google call under the
 * same quotas). Counts what reached them, and whether every calendar got a new channel.
 */
export async function renewalScenario(b: CalendarsBench, log: (m: string) => void): Promise<Result[]> {
  const { control } = b.system.emulator;
  const channelsOf = async () =>
    new Map((await b.sql.query<{ calendar_id: string; channel_id: string }>('select calendar_id, channel_id from calendar_sync_states where active')).rows.map((r) => [r.calendar_id, r.channel_id]));
  const before = await channelsOf();
  const statsBefore = control.stats();
  const refusedBefore = refusals(control.quotaStats());
  const metricsBefore = await metrics(b);

  const cpu = await b.cpu();
  const workers = b.reps.slice(-b.sizes.repsAtWork);
  const work = repsAtWork(b, workers, 1000);
  const trigger = await b.sql.query<{ at: Date }>(`update agenda_jobs set next_run_at = now() where name = 'renew-channels' and repeat_interval is not null returning now() as at`);
  const triggeredAt = trigger.rows[0]?.at;
  if (!triggeredAt) throw new Error('no scheduled renew-channels job to run');
  const job = await pollUntil(
    async () => {
      const r = await b.sql.query<{ last_run_at: Date | null; last_finished_at: Date | null; locked_at: Date | null; fail_reason: string | null; failed_at: Date | null }>(
        `select last_run_at, last_finished_at, locked_at, fail_reason, failed_at from agenda_jobs where name = 'renew-channels' and repeat_interval is not null`,
      );
      const row = r.rows[0];
      return row?.last_run_at && row.last_run_at >= triggeredAt && row.last_finished_at && row.last_finished_at >= row.last_run_at && !row.locked_at ? row : undefined;
    },
    { timeoutMs: 20 * 60_000, what: 'the renewal run to finish', intervalMs: 500 },
  );
  const users = await work.stop();
  const cpuUsed = await cpu.stop();
  const seconds = ((job.last_finished_at?.getTime() ?? 0) - (job.last_run_at?.getTime() ?? 0)) / 1000;
  log(`  renewal run: ${round(seconds, 1)} s`);
  await control.notificationsIdle();

  const after = await channelsOf();
  const renewed = [...before].filter(([id, channel]) => after.has(id) && after.get(id) !== channel).length;
  const states = await b.sql.query<{ state: string; reason: string | null; n: number }>(`select state, state_reason as reason, count(*)::int as n from connected_calendars group by state, state_reason`);
  const failedCalendars = states.rows.filter((s) => s.state !== 'active');
  const calls = apiCallsSince(b, statsBefore);
  const refusedAfter = refusals(control.quotaStats());
  const metricsAfter = await metrics(b);
  const quotaErrorsToUsers =
    users.errors.filter((e) => e.code === 'TOO_MANY_REQUESTS' || QUOTA_ERROR.test(e.message)).length + failedCalendars.filter((s) => QUOTA_ERROR.test(s.reason ?? '')).reduce((n, s) => n + s.n, 0);
  const quotaBoundSeconds = (calls.total / PROJECT_QUOTA_PER_MINUTE) * 60;
  const details = {
    calendars: before.size,
    renewed,
    seconds: round(seconds, 1),
    apiCalls: calls,
    quotaBoundSeconds: round(quotaBoundSeconds, 1),
    googleRefusals: { user: refusedAfter.user - refusedBefore.user, project: refusedAfter.project - refusedBefore.project },
    gatewayRateLimitedAttempts: rateLimitedAttempts(metricsAfter) - rateLimitedAttempts(metricsBefore),
    calendarStates: states.rows,
    jobFailReason: job.fail_reason,
    repsAtWork: { reps: workers.length, calls: users.calls, createEventLatencyMs: users.latency, errors: users.errors.length, errorExamples: users.errors.slice(0, 5) },
    cpuSeconds: cpuUsed,
    cpuMsPerCalendar: perItem(cpuUsed, before.size),
    machine: machineShare(cpuUsed),
    settings: { JOB_CONCURRENCY: 'default (8)', JOB_CALENDARS_PER_MINUTE: 0, projectQuotaPerMinute: PROJECT_QUOTA_PER_MINUTE },
  };
  return [
    result(`calendars: renewal of ${before.size.toLocaleString('en-US')} channels in one run: renewed`, renewed, 'channels', { op: '>=', value: before.size }, details),
    info('  renewal run time', round(seconds, 1), `s (quota-bound ${round(quotaBoundSeconds, 1)} s for ${calls.total.toLocaleString('en-US')} calls)`),
    result('calendars: renewal: quota errors reaching users', quotaErrorsToUsers, 'errors', { op: '=', value: 0 }, details),
    info('  reps creating meetings meanwhile: calls / errors / p99', users.calls, `calls, ${users.errors.length} errors, p99 ${round(users.latency.p99, 0)} ms`),
  ];
}

/** A calendar's latest etag per event in Google, for the stormed calendars. */
function googleEtags(b: CalendarsBench, calendars: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const cal of calendars) for (const e of b.system.emulator.control.listEvents(cal)) if (e.status !== 'cancelled') out.set(`${cal} ${e.id}`, e.etag);
  return out;
}

/**
 * `stormCalendars` calendars each get a bulk edit of `stormEditsPerCalendar` changes within about
 * a second, all at once (a notification per change); meanwhile a person edits one other calendar
 * now and then and its rep's listEvents is polled until the change shows.
 */
export async function stormsScenario(b: CalendarsBench, log: (m: string) => void): Promise<Result[]> {
  const { control } = b.system.emulator;
  const stormed = b.reps.slice(1, 1 + b.sizes.stormCalendars);
  const quietRep = b.reps[1 + b.sizes.stormCalendars];
  if (!quietRep) throw new Error('not enough calendars for a quiet one beside the storms');
  await control.notificationsIdle();
  await sleep(1000);
  control.resetQuotaStats();
  const statsBefore = control.stats();
  const notifiedBefore = control.notificationStats();
  const cpu = await b.cpu();

  // The quiet calendar: a person's edit every QUIET_GAP_MS, each timed until its rep sees it.
  const quiet = await b.client(quietRep);
  const quietIds = b.eventIds.get(quietRep) ?? [];
  const latencies: number[] = [];
  /** Per sample, ms after the edit: the notification recorded, the sync started, its token saved, visible in listEvents. */
  const stages: Array<{ recorded: number; syncStarted: number; saved: number; visible: number }> = [];
  let timedOut = 0;
  let stormOver = false;
  const sampler = (async () => {
    for (let i = 0; !stormOver; i++) {
      const id = quietIds[i % quietIds.length] as string;
      const summary = `Moved by the buyer during the storms (${i})`;
      const t0 = performance.now();
      const editedAt = Date.now();
      control.editEvent(quietRep, id, { summary });
      try {
        await pollUntil(
          async () => {
            const page = await quiet.client.calendar.listEvents.query({ timeMin: b.window.timeMin, timeMax: b.window.timeMax, limit: LIST_LIMIT });
            return page.items.some((e) => e.googleEventId === id && e.summary === summary) ? true : undefined;
          },
          { timeoutMs: QUIET_TIMEOUT_MS, what: `the quiet calendar's edit ${i} to show`, intervalMs: 2 },
        );
      } catch {
        // Counted at the timeout: the percentiles stay a lower bound, and the run goes on.
        timedOut++;
      }
      if (!stormOver) {
        latencies.push(performance.now() - t0);
        const r = await b.sql.query<{ n: Date | null; s: Date | null; l: Date | null }>(
          'select last_notification_at as n, sync_started_at as s, last_sync_at as l from calendar_sync_states where calendar_id = $1',
          [quietRep],
        );
        const row = r.rows[0];
        const after = (d: Date | null | undefined) => (d ? d.getTime() - editedAt : Number.NaN);
        stages.push({ recorded: after(row?.n), syncStarted: after(row?.s), saved: after(row?.l), visible: Math.round(performance.now() - t0) });
      }
      await sleep(QUIET_GAP_MS);
    }
  })();

  // The storms: every stormed calendar gets its share of edits each tick, paced against the clock.
  const perTick = Math.max(1, Math.ceil(b.sizes.stormEditsPerCalendar / STORM_TICKS));
  const started = performance.now();
  let edits = 0;
  for (let t = 0; t < STORM_TICKS; t++) {
    for (let k = 0; k < stormed.length; k++) {
      const cal = stormed[k] as string;
      const ids = b.eventIds.get(cal) ?? [];
      for (let j = 0; j < perTick && t * perTick + j < b.sizes.stormEditsPerCalendar; j++) {
        const n = t * perTick + j;
        control.editEvent(cal, ids[n % ids.length] as string, { summary: `Bulk-updated stage ${n}` });
        edits++;
      }
      // Let the emulator answer and deliver between calendars: the edits are the bench's, not Google's, work.
      if (k % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await sleep(Math.max(0, started + (t + 1) * STORM_TICK_MS - performance.now()));
  }
  const editSeconds = (performance.now() - started) / 1000;
  log(`  ${edits.toLocaleString('en-US')} edits on ${stormed.length} calendars in ${round(editSeconds, 1)} s`);

  // Settled: every notification delivered, every edit in our rows, and no list call for a while.
  const expected = googleEtags(b, stormed);
  await control.notificationsIdle();
  const deliveredSeconds = (performance.now() - started) / 1000;
  await pollUntil(
    async () => {
      const r = await b.sql.query<{ n: number }>(
        `select count(*)::int as n from calendar_events e join jsonb_each_text($1::jsonb) x on x.key = e.calendar_id || ' ' || e.google_event_id and x.value = e.etag`,
        [JSON.stringify(Object.fromEntries(expected))],
      );
      return r.rows[0]?.n === expected.size ? true : undefined;
    },
    { timeoutMs: 120_000, what: 'every storm edit to reach the database', intervalMs: 200 },
  );
  const appliedSeconds = (performance.now() - started) / 1000;
  const cpuUsed = await cpu.stop();
  stormOver = true;
  await sampler;
  let listCalls = control.stats()['events.list'];
  for (;;) {
    await sleep(1500);
    await control.notificationsIdle();
    const now = control.stats()['events.list'];
    if (now === listCalls) break;
    listCalls = now;
  }

  const served = servedPerUser(control.quotaStats());
  const perCalendar = stormed.map((cal) => served.get(cal) ?? 0);
  const dist = summarize(perCalendar);
  const histogram: Record<string, number> = {};
  for (const n of perCalendar) histogram[String(n)] = (histogram[String(n)] ?? 0) + 1;
  const rows = await b.sql.query<{ calendar_id: string; google_event_id: string; etag: string }>(
    `select calendar_id, google_event_id, etag from calendar_events where calendar_id = any($1) and status <> 'cancelled'`,
    [stormed],
  );
  const ours = new Map(rows.rows.map((r) => [`${r.calendar_id} ${r.google_event_id}`, r.etag]));
  const differing = [...googleEtags(b, stormed)].filter(([k, etag]) => ours.get(k) !== etag).length + [...ours.keys()].filter((k) => !expected.has(k)).length;
  const notified = control.notificationStats();
  const latency = summarize(latencies);
  const calls = apiCallsSince(b, statsBefore);
  const details = {
    stormCalendars: stormed.length,
    editsPerCalendar: b.sizes.stormEditsPerCalendar,
    edits,
    editSeconds: round(editSeconds, 2),
    notificationsDelivered: notified.delivered - notifiedBefore.delivered,
    notificationsFailedAttempts: notified.failedAttempts - notifiedBefore.failedAttempts,
    allDeliveredAfterSeconds: round(deliveredSeconds, 1),
    allAppliedAfterSeconds: round(appliedSeconds, 1),
    listCallsPerCalendar: dist,
    listCallsHistogram: histogram,
    listCallsPer1000Notifications: round((1000 * dist.mean) / b.sizes.stormEditsPerCalendar, 1),
    apiCalls: calls,
    cpuSecondsUntilApplied: cpuUsed,
    cpuMsPerNotification: perItem(cpuUsed, edits),
    machine: machineShare(cpuUsed),
    quietCalendar: { rep: quietRep, samples: latencies.length, timedOut, latencyMs: latency, gapMs: QUIET_GAP_MS, stagesMs: stages },
  };
  return [
    result(`calendars: storms on ${stormed.length.toLocaleString('en-US')} calendars (${b.sizes.stormEditsPerCalendar} each): list calls per calendar, max`, dist.max, 'calls', { op: '<=', value: 3 }, details),
    info('  list calls per calendar, mean', dist.mean, 'calls'),
    result('calendars: storms: events differing from Google after settle', differing, 'events', { op: '=', value: 0 }, details),
    result('calendars: storms: another calendar, webhook -> visible p50', latency.p50, 'ms', { op: '<', value: 100 }, details.quietCalendar),
    result('calendars: storms: another calendar, webhook -> visible p99', latency.p99, 'ms', { op: '<', value: 1000 }, details.quietCalendar),
  ];
}
const STORM_TICKS = 20;
const STORM_TICK_MS = 50;
/** Longer than the scheduler's SYNC_MIN_INTERVAL_MS: each of the quiet calendar's edits is a lone one. */
const QUIET_GAP_MS = 600;
const QUIET_TIMEOUT_MS = 60_000;

/**
 * The server after all that, left alone for `restSeconds` (V8 shrinks its heap once it sees the
 * process idle): RSS once it stops moving. Then rep 0's listEvents again, against the
 * one-calendar run of the same bench.
 */
export async function atRestScenario(b: CalendarsBench, log: (m: string) => void): Promise<Result[]> {
  await b.system.emulator.control.notificationsIdle();
  const timeline: number[] = [];
  const restStarted = performance.now();
  while (performance.now() - restStarted < b.sizes.restSeconds * 1000) {
    timeline.push(round(readMemory(b.server.pid).rssMb, 1));
    await sleep(5000);
  }
  const idle = await steadyRss(b.server.pid, { windowMs: 5000, toleranceMb: 1, timeoutMs: 60_000 });
  log(`  idle RSS ${round(idle.rssMb, 1)} MB after ${b.sizes.restSeconds} s at rest (+${round(idle.waitedMs / 1000, 1)} s to settle)`);
  const counts = await b.sql.query<{ calendars: number; events: number }>(
    `select (select count(*)::int from connected_calendars) as calendars, (select count(*)::int from calendar_events) as events`,
  );
  const heap = Object.fromEntries(
    (await metrics(b))
      .filter((m) => ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes', 'process_resident_memory_bytes'].includes(m.name))
      .map((m) => [m.name, round(m.value / 1024 / 1024, 1)]),
  );
  const many = await measureList(b, counts.rows[0]?.calendars ?? 0);
  const base = b.baseline;
  const rows: Result[] = [
    result(`calendars: idle server RSS with ${(counts.rows[0]?.calendars ?? 0).toLocaleString('en-US')} calendars`, round(idle.rssMb, 1), 'MB', { op: '<', value: 200 }, {
      restSeconds: b.sizes.restSeconds,
      rssEvery5sMb: timeline,
      settleWaitedMs: idle.waitedMs,
      steady: idle.steady,
      serverMemoryMb: heap,
      rssBreakdown: rssBreakdown(b.server.pid),
      ...counts.rows[0],
    }),
    info(`calendars: listEvents p99, ${many.calendars.toLocaleString('en-US')} calendars (saturated)`, many.saturated.latency.p99, 'ms', { ...many }),
  ];
  if (base) {
    rows.push(
      result(`calendars: listEvents p99 ratio, ${many.calendars.toLocaleString('en-US')} calendars / one (saturated)`, round(many.saturated.latency.p99 / base.saturated.latency.p99, 2), 'x', { op: '<=', value: 1.5 }, {
        one: { p50: base.saturated.latency.p50, p99: base.saturated.latency.p99, rps: base.saturated.requestsPerSecond, rows: base.rows },
        many: { p50: many.saturated.latency.p50, p99: many.saturated.latency.p99, rps: many.saturated.requestsPerSecond, rows: many.rows },
      }),
      info(`  at ${CALENDAR_LIST_RATE} req/s: p99 one / many`, base.atRate.latency.p99, `/ ${many.atRate.latency.p99} ms`),
    );
  }
  return rows;
}

/**
 * How much of the machine the measured processes had (server, this process with the emulator,
 * our database's backends), and how long the same CPU work takes with every core to itself.
 */
function machineShare(cpu: { serverS: number; benchS: number; postgresS: number; wallS: number }): { coresUsed: number; ofMachinePercent: number; secondsWithAllCores: number } {
  const total = cpu.serverS + cpu.benchS + cpu.postgresS;
  const cores = availableParallelism();
  return { coresUsed: round(total / cpu.wallS, 2), ofMachinePercent: round((100 * total) / (cpu.wallS * cores), 1), secondsWithAllCores: round(total / cores, 1) };
}

/** CPU milliseconds per item, by process. */
function perItem(cpu: { serverS: number; benchS: number; postgresS: number }, items: number): Record<string, number> {
  const ms = (s: number) => round((1000 * s) / Math.max(1, items), 3);
  return { server: ms(cpu.serverS), benchAndEmulator: ms(cpu.benchS), postgres: ms(cpu.postgresS) };
}
