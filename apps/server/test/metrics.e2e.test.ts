import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { parseSamples, valueOf, type Sample } from './support/prometheus.ts';
import { TEST_JWT_SECRET } from './support/backing-services.ts';
import { at, useSystem } from './support/system.ts';

// What Prometheus scrapes from /metrics: behind a bearer token, and telling an on-call engineer
// what Google, the syncs, the webhook and the jobs have been doing. Counters are compared before
// and after an action (jobs also run on their own at start-up).
const METRICS_TOKEN = 'metrics-token-for-end-to-end-tests-0123456789';
const sys = useSystem({ env: { METRICS_TOKEN, JOBS_ENABLED: 'true', SYNC_MIN_INTERVAL_MS: '0' } });

const metricsUrl = () => `${sys.app.url}/metrics`;

async function scrapeText(): Promise<string> {
  const res = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}
const scrape = async (): Promise<Sample[]> => parseSamples(await scrapeText());
/** A counter that has not been incremented yet is absent: that is 0. */
const count = (samples: Sample[], name: string, labels: Record<string, string> = {}) => valueOf(samples, name, labels) ?? 0;

const personEvent = (summary: string, day: number) => ({
  summary,
  start: { dateTime: `2031-10-${String(day).padStart(2, '0')}T10:00:00Z` },
  end: { dateTime: `2031-10-${String(day).padStart(2, '0')}T11:00:00Z` },
});

describe('access', () => {
  it('refuses a scrape without the token, with a wrong one, or with other credentials', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${METRICS_TOKEN}x`, `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`, sys.token]) {
      const res = await fetch(metricsUrl(), { headers: authorization ? { authorization } : {} });
      expect(res.status, String(authorization)).toBe(401);
      const body = await res.text();
      expect(body).not.toContain('calsync_');
    }
  });

  it('serves the Prometheus text format with the token', async () => {
    const res = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE calsync_google_api_calls_total counter');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('is off in production unless METRICS_TOKEN is set; development generates a token', async () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    const production = {
      NODE_ENV: 'production',
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: sys.databaseUrl,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(sys.key),
      GOOGLE_API_BASE_URL: sys.emulator.url,
      WEBHOOK_SECRET: 'webhook-secret-for-end-to-end-tests-0123456789',
      WEBHOOK_BASE_URL: 'https://calendar-sync.example.com',
      JOBS_ENABLED: 'false',
    };
    const logger = createLogger({ level: 'silent' });
    for (const [env, expected] of [
      [production, { status: 404, devToken: false }],
      [{ ...production, NODE_ENV: 'development' }, { status: 401, devToken: true }],
    ] as const) {
      const app = await startApp(loadConfig(env), logger);
      try {
        expect((await fetch(`${app.url}/metrics`)).status).toBe(expected.status);
        expect(app.devMetricsToken !== undefined).toBe(expected.devToken);
        if (app.devMetricsToken) {
          const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${app.devMetricsToken}` } });
          expect(res.status).toBe(200);
        }
      } finally {
        await app.close();
      }
    }
  });
});

describe('what happened', () => {
  it('counts each Google call by operation and outcome, with its latency', async () => {
    await sys.client.calendar.createEvent.mutate({ summary: 'Intro call', startTime: at('2031-10-06T14:00:00Z'), endTime: at('2031-10-06T14:30:00Z') });
    const text = await scrapeText();
    // The first insert of this system.
    expect(text).toContain('calsync_google_api_calls_total{operation="events.insert",outcome="success"} 1');
    const samples = parseSamples(text);
    expect(count(samples, 'calsync_google_api_call_duration_seconds_count', { operation: 'events.insert' })).toBe(1);
    expect(count(samples, 'calsync_http_request_duration_seconds_count', { method: 'POST', route: '/trpc/calendar.createEvent', status_code: '200' })).toBe(1);
  });

  it('labels requests by route or procedure, never by raw URL', async () => {
    await fetch(`${sys.app.url}/no/such/path/12345`);
    await fetch(`${sys.app.url}/trpc/calendar.noSuchProcedure42`);
    await fetch(`${sys.app.url}/health`);
    await fetch(metricsUrl());
    const samples = await scrape();
    const routes = new Set(samples.filter((s) => s.name === 'calsync_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes].every((r) => r !== undefined && !r.includes('12345') && !r.includes('noSuchProcedure42'))).toBe(true);
    expect(count(samples, 'calsync_http_request_duration_seconds_count', { route: 'other', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(count(samples, 'calsync_http_request_duration_seconds_count', { route: '/trpc/(unknown)', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(count(samples, 'calsync_http_request_duration_seconds_count', { route: '/health', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(count(samples, 'calsync_http_request_duration_seconds_count', { route: '/metrics', status_code: '401' })).toBeGreaterThanOrEqual(1);
  });

  it('counts syncs by kind and outcome, the events they changed, and full resyncs by reason', async () => {
    await sys.client.calendar.sync.mutate({ full: true });
    const before = await scrape();
    sys.emulator.control.createEvent(sys.calendarId, personEvent('Made in Google 1', 7));
    sys.emulator.control.createEvent(sys.calendarId, personEvent('Made in Google 2', 8));
    const incremental = await sys.client.calendar.sync.mutate();
    expect(incremental).toMatchObject({ changed: 2, fullSync: false });
    await sys.client.calendar.sync.mutate({ full: true });
    sys.emulator.control.injectFaults([{ method: 'events.list', status: 400, times: 1 }]);
    await expect(sys.client.calendar.sync.mutate()).rejects.toThrow();
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string> = {}) => count(after, name, labels) - count(before, name, labels);
    expect(delta('calsync_sync_runs_total', { kind: 'incremental', outcome: 'success' })).toBe(1);
    expect(delta('calsync_sync_runs_total', { kind: 'full', outcome: 'success' })).toBe(1);
    expect(delta('calsync_sync_runs_total', { kind: 'incremental', outcome: 'error' })).toBe(1);
    expect(delta('calsync_sync_full_resyncs_total', { reason: 'requested' })).toBe(1);
    expect(delta('calsync_sync_events_changed_total')).toBe(2);
    expect(delta('calsync_sync_duration_seconds_count', { kind: 'incremental' })).toBe(2);
    expect(delta('calsync_google_api_calls_total', { operation: 'events.list', outcome: 'invalid' })).toBe(1);
  });

  it('counts webhook notifications by result, and sums up the calendars without a label per calendar', async () => {
    const before = await scrape();
    const channel = await sys.client.calendar.watch.mutate();
    sys.emulator.control.createEvent(sys.calendarId, personEvent('Pushed', 9));
    await sys.settle();
    const forged = await fetch(`${sys.app.url}/webhooks/google-drive`, {
      method: 'POST',
      headers: { 'x-goog-channel-id': channel.channelId, 'x-goog-channel-token': 'forged', 'x-goog-resource-id': channel.resourceId, 'x-goog-resource-state': 'exists', 'x-goog-message-number': '99' },
    });
    expect(forged.status).toBe(403);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => count(after, name, labels) - count(before, name, labels);
    expect(delta('calsync_webhook_notifications_total', { result: 'sync-handshake' })).toBe(1);
    expect(delta('calsync_webhook_notifications_total', { result: 'accepted' })).toBeGreaterThanOrEqual(1);
    expect(delta('calsync_webhook_notifications_total', { result: 'forbidden' })).toBe(1);
    expect(delta('calsync_google_api_calls_total', { operation: 'events.watch', outcome: 'success' })).toBe(1);

    expect(valueOf(after, 'calsync_watched_calendars')).toBe(1);
    const active = await sys.sql.query<{ n: number }>(`select count(*)::int as n from connected_calendars where state = 'active'`);
    expect(valueOf(after, 'calsync_calendars', { state: 'active' })).toBe(active.rows[0]?.n);
    expect(active.rows[0]?.n).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'calsync_calendars', { state: 'error' })).toBe(0);
    expect(valueOf(after, 'calsync_watch_channels_expiring')).toBe(0);
    expect(valueOf(after, 'calsync_watch_channels_expired')).toBe(0);
    expect(valueOf(after, 'calsync_sync_oldest_success_age_seconds')).toBeLessThan(60);
    // No series names a calendar: 10,000 calendars cost no more series than one.
    expect(after).not.toContain('calendar_id=');
    expect(after).not.toContain(sys.calendarId);

    // An expired channel shows at once (the gauges read the rows at each scrape).
    await sys.sql.query(`update calendar_sync_states set expiration = now() - interval '1 minute' where active`);
    const expired = await scrape();
    expect(valueOf(expired, 'calsync_watch_channels_expired')).toBe(1);
    expect(valueOf(expired, 'calsync_watch_channels_expiring')).toBe(1);
    expect(channel.expiration.getTime()).toBeGreaterThan(Date.now());

    await sys.client.calendar.stopWatch.mutate();
    const stopped = await scrape();
    expect(valueOf(stopped, 'calsync_watched_calendars')).toBe(0);
    expect(valueOf(stopped, 'calsync_watch_channels_expired')).toBe(0);
  });

  it('counts job runs and failures by job', async () => {
    const jobs = sys.app.jobs;
    if (!jobs) throw new Error('jobs are enabled in this system');
    const before = await scrape();
    await jobs.runNow('cleanup');
    // A channel past its expiration is due for renewal; Google refuses the new one.
    await sys.client.calendar.watch.mutate();
    await sys.sql.query(`update calendar_sync_states set expiration = now() - interval '1 minute' where active`);
    sys.emulator.control.injectFaults([{ method: 'events.watch', status: 400, times: 1 }]);
    await expect(jobs.runNow('renew-channels')).rejects.toThrow(/renewal failed/);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => count(after, name, labels) - count(before, name, labels);
    expect(delta('calsync_job_runs_total', { job: 'cleanup' })).toBe(1);
    expect(delta('calsync_job_failures_total', { job: 'cleanup' })).toBe(0);
    expect(delta('calsync_job_runs_total', { job: 'renew-channels' })).toBe(1);
    expect(delta('calsync_job_failures_total', { job: 'renew-channels' })).toBe(1);
    expect(delta('calsync_job_duration_seconds_count', { job: 'cleanup' })).toBe(1);
    await sys.client.calendar.stopWatch.mutate();
  });

  it('never shows secrets, tokens or event data', async () => {
    const text = await scrapeText();
    for (const secret of [METRICS_TOKEN, sys.token, 'PRIVATE KEY', sys.key.private_key.slice(40, 100), 'webhook-secret-for-end-to-end-tests', 'Intro call', 'Made in Google']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('promtool check metrics', () => {
  // prom-client's default metrics include gauges named `nodejs_*_total`, which promtool's lint
  // flags; they are prom-client's to fix. Our own metrics must pass clean.
  const KNOWN_FOREIGN = /^(nodejs_|process_)/;

  it('finds nothing to complain about in our metrics', async () => {
    const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (found.error) {
      const message = 'promtool not found: install the Debian package `prometheus` (apt-get install -y prometheus) to lint /metrics';
      if (process.env.CI) throw new Error(message);
      console.warn(`SKIPPED: ${message}`);
      return;
    }
    const text = await scrapeText();
    expect(text).toContain('calsync_sync_runs_total');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    const complaints = `${check.stdout}\n${check.stderr}`
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const ours = complaints.filter((l) => !KNOWN_FOREIGN.test(l));
    const foreign = complaints.filter((l) => KNOWN_FOREIGN.test(l));
    if (foreign.length) console.warn(`promtool: tolerated complaints about prom-client's default metrics:\n  ${foreign.join('\n  ')}`);
    expect(ours).toEqual([]);
    // A non-zero exit with nothing left after tolerating the default metrics' lint is fine;
    // any other failure (a parse error) shows up in `ours` above.
  });
});
