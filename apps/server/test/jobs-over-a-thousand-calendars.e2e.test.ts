import { randomUUID } from 'node:crypto';
import { channelToken } from '@calsync/calendar';
import { GoogleCalendarGateway } from '@calsync/google';
import { beforeAll, expect, it, vi } from 'vitest';
import { TEST_WEBHOOK_SECRET } from './support/backing-services.ts';
import { FUZZ_ENV } from './support/fuzz.ts';
import { parseSamples, valueOf } from './support/prometheus.ts';
import { eventually, useSystem } from './support/system.ts';

// The maintenance jobs over a thousand reps' calendars (domain-wide delegation), one of which
// fails at Google: its failure stays its own. A thousand renewals take a while on a loaded
// 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

const DOMAIN = 'acme.test';
const COUNT = 1000;
const REPS = Array.from({ length: COUNT }, (_, i) => `rep.${String(i).padStart(4, '0')}@${DOMAIN}`);
/** A rep whose Workspace account is suspended after connecting: every Google call as them fails. */
const SUSPENDED = REPS[617] as string;
const METRICS_TOKEN = 'metrics-token-for-end-to-end-tests-0123456789';

const sys = useSystem({
  env: {
    // A thousand channels' push handshakes at once are not what the webhook limit is for.
    ...FUZZ_ENV,
    GOOGLE_WORKSPACE_DOMAINS: DOMAIN,
    JOBS_ENABLED: 'true',
    // Channels live 2 minutes: always "about to expire" for a 1-hour renewal window.
    WATCH_CHANNEL_TTL_SECONDS: '120',
    CHANNEL_RENEW_BEFORE: '1 hour',
    // No pacing (it would spread 1,000 calendars over half a minute), more at once.
    JOB_CALENDARS_PER_MINUTE: '0',
    JOB_CONCURRENCY: '16',
    METRICS_TOKEN,
  },
});
const jobs = () => {
  if (!sys.app.jobs) throw new Error('jobs are enabled in this system');
  return sys.app.jobs;
};

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`${sys.app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return valueOf(parseSamples(await res.text()), name, labels) ?? 0;
}

const channels = async () =>
  new Map((await sys.sql.query<{ calendar_id: string; channel_id: string }>('select calendar_id, channel_id from calendar_sync_states where active')).rows.map((r) => [r.calendar_id, r.channel_id]));
const calendarRow = async (id: string) =>
  (await sys.sql.query<{ state: string; state_reason: string | null; failures: number; retry_at: Date | null; last_error: string | null }>(
    'select state, state_reason, failures, retry_at, last_error from connected_calendars where calendar_id = $1',
    [id],
  )).rows[0];

beforeAll(async () => {
  sys.emulator.control.addDomain(DOMAIN, { users: REPS });
  // The schedule's first runs (right after the first start ever) find nothing to do; they are
  // over before the calendars exist, so every run below is one the test started.
  await eventually(async () => {
    const r = await sys.sql.query(`select count(*)::int as n from agenda_jobs where repeat_interval is not null and last_finished_at is not null and locked_at is null`);
    expect(r.rows[0].n).toBe(3);
  }, 30_000);
  // A thousand connected calendars, made cheaply: each rep's real channel at Google, opened as
  // the server would (its webhook, its channel tokens), and the rows connecting them here.
  // (Connecting them one by one through the API is what connected-calendars.e2e.test.ts proves.)
  const google = new GoogleCalendarGateway({ credentials: sys.key, apiBaseUrl: sys.emulator.url });
  const opened: Array<{ calendarId: string; channelId: string; resourceId: string; expiration: Date }> = [];
  for (let i = 0; i < COUNT; i += 100) {
    const batch = REPS.slice(i, i + 100).map(async (calendarId) => {
      const channelId = randomUUID();
      const channel = await google.watchEvents(
        { calendarId, subject: calendarId },
        { channelId, address: `${sys.app.url}/webhooks/google-drive`, token: channelToken(TEST_WEBHOOK_SECRET, channelId), ttlSeconds: 120 },
      );
      opened.push({ calendarId, ...channel });
    });
    await Promise.all(batch);
  }
  await sys.sql.query(
    `with c as (
       insert into connected_calendars (calendar_id, subject, state, state_since, failures, created_at, updated_at)
       select calendar_id, calendar_id, 'active', now(), 0, now(), now() from jsonb_to_recordset($1::jsonb) as r(calendar_id text)
     )
     insert into calendar_sync_states (id, calendar_id, channel_id, resource_id, expiration, active, last_sync_at, created_at, updated_at)
     select gen_random_uuid(), calendar_id, channel_id, resource_id, expiration, true, now(), now(), now()
     from jsonb_to_recordset($1::jsonb) as r(calendar_id text, channel_id text, resource_id text, expiration timestamptz)`,
    [JSON.stringify(opened.map((o) => ({ calendar_id: o.calendarId, channel_id: o.channelId, resource_id: o.resourceId, expiration: o.expiration })))],
  );
  await sys.settle();
  sys.emulator.control.suspendUser(SUSPENDED);
}, 120_000);

it('renews and reconciles 999 calendars while the failing one goes to error with a reason and a retry time; later runs skip it until then, and it recovers', async () => {
  const before = await channels();
  expect(before.size).toBe(COUNT);

  // Renewal: every channel is due.
  const renewed = await jobs().runNow('renew-channels');
  expect(renewed).toMatchObject({ checked: COUNT, renewed: COUNT - 1, failedCount: 1, failed: [{ calendarId: SUSPENDED }] });
  const after = await channels();
  expect(REPS.filter((id) => id !== SUSPENDED && after.get(id) === before.get(id))).toEqual([]);
  expect(after.get(SUSPENDED)).toBe(before.get(SUSPENDED));

  const failing = await calendarRow(SUSPENDED);
  expect(failing).toMatchObject({ state: 'error', failures: 1 });
  // The reason an admin reads says what is wrong: the rep's account, not the service account's key.
  expect(failing?.state_reason).toMatch(/no active Google Workspace user.*suspended/);
  expect(failing?.state_reason).not.toMatch(/GOOGLE_SERVICE_ACCOUNT_JSON/);
  expect(failing?.retry_at?.getTime()).toBeGreaterThan(Date.now());
  const states = await sys.sql.query(`select state, count(*)::int as n from connected_calendars group by state order by state`);
  expect(states.rows).toEqual([
    { state: 'active', n: COUNT - 1 },
    { state: 'error', n: 1 },
  ]);
  expect(await metric('calsync_calendar_failures_total', { job: 'renew-channels' })).toBe(1);
  expect(await metric('calsync_job_failures_total', { job: 'renew-channels' })).toBe(0);

  // Reconcile: every watched calendar but the failing one, whose retry is not due yet.
  const reconciled = await jobs().runNow('reconcile');
  expect(reconciled).toMatchObject({ calendars: COUNT - 1, failedCount: 0 });
  const recorded = await sys.sql.query(`select count(*)::int as n, count(*) filter (where calendar_id = $1)::int as failing from sync_reconciliations`, [SUSPENDED]);
  expect(recorded.rows[0]).toEqual({ n: COUNT - 1, failing: 0 });
  expect(await metric('calsync_job_failures_total', { job: 'reconcile' })).toBe(0);

  // A second renewal (the others' channels pushed out of the window) leaves the failing one
  // alone until its retry time: not one Google call.
  await sys.sql.query(`update calendar_sync_states set expiration = now() + interval '3 days' where calendar_id <> $1`, [SUSPENDED]);
  sys.emulator.control.resetStats();
  expect(await jobs().runNow('renew-channels')).toMatchObject({ checked: 0, renewed: 0, failedCount: 0 });
  expect(sys.emulator.control.stats().total).toBe(0);
  expect(await calendarRow(SUSPENDED)).toMatchObject({ state: 'error', failures: 1 });

  // Its retry time comes, and meanwhile the account is back: tried again, it recovers.
  sys.emulator.control.reactivateUser(SUSPENDED);
  await sys.sql.query(`update connected_calendars set retry_at = now() - interval '1 second' where calendar_id = $1`, [SUSPENDED]);
  expect(await jobs().runNow('renew-channels')).toMatchObject({ checked: 1, renewed: 1, failedCount: 0 });
  expect(await calendarRow(SUSPENDED)).toMatchObject({ state: 'active', state_reason: null, failures: 0, retry_at: null });
  expect((await channels()).get(SUSPENDED)).not.toBe(before.get(SUSPENDED));
  expect(await metric('calsync_calendar_failures_total', { job: 'renew-channels' })).toBe(1);
});
