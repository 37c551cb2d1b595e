import { CALENDAR_STATES, type CalendarSummary, type SyncObserver } from '@calsync/calendar';
import type { GatewayObserver } from '@calsync/google';
import { JOB_NAMES, type JobObserver } from '@calsync/jobs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from './logger.ts';

/**
 * The one module that defines metrics. Everything else reports through the narrow observers
 * below, so packages stay free of prom-client and every metric name is found here. Names follow
 * Prometheus conventions: `calsync_` prefix, base units (seconds), `_total` on counters; labels
 * have bounded values only (routes, operations, outcomes, job names, calendar states): never a
 * calendar or user, so 10,000 calendars cost no more series than one.
 */

export const WEBHOOK_RESULTS = ['accepted', 'duplicate', 'sync-handshake', 'forbidden', 'invalid', 'error'] as const;
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

export interface HttpObservation {
  method: string;
  /** A bounded label: the matched route or procedure, never the raw URL. */
  route: string;
  statusCode: number;
  durationSeconds: number;
}

export interface Metrics {
  readonly contentType: string;
  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string>;
  observeHttp(o: HttpObservation): void;
  google: GatewayObserver;
  sync: SyncObserver;
  jobs: JobObserver;
  webhook(result: WebhookResult): void;
}

export interface MetricsOptions {
  /** Read at scrape time for the calendar gauges (current rows, not a cached copy). */
  calendarSummary: () => Promise<CalendarSummary>;
  /** Calls to Google waiting under the quotas, now. */
  queuedGoogleCalls: () => number;
  logger: Logger;
  now?: () => Date;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const GOOGLE_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SYNC_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const JOB_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900];

export function createMetrics(opts: MetricsOptions): Metrics {
  const now = opts.now ?? (() => new Date());
  // Our own registry, not prom-client's global one: several apps in one process (tests) each
  // expose only their own numbers.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpDuration = new Histogram({
    name: 'calsync_http_request_duration_seconds',
    help: 'HTTP requests served, by method, matched route (or tRPC procedure) and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });

  const googleCalls = new Counter({
    name: 'calsync_google_api_calls_total',
    help: 'Attempts of calls to Google (each retry counts), by operation and outcome (success or the error kind).',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const googleDuration = new Histogram({
    name: 'calsync_google_api_call_duration_seconds',
    help: 'Duration of each attempt of a call to Google, by operation.',
    labelNames: ['operation'] as const,
    buckets: GOOGLE_BUCKETS,
    registers,
  });

  const syncRuns = new Counter({
    name: 'calsync_sync_runs_total',
    help: 'Calendar syncs that ran, by kind (full, incremental) and outcome (success, error).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const syncChanged = new Counter({
    name: 'calsync_sync_events_changed_total',
    help: 'Events inserted or changed locally by syncs.',
    registers,
  });
  const syncDeleted = new Counter({
    name: 'calsync_sync_events_deleted_total',
    help: 'Events newly marked cancelled locally by syncs.',
    registers,
  });
  const fullResyncs = new Counter({
    name: 'calsync_sync_full_resyncs_total',
    help: 'Syncs that listed the whole calendar, by reason (requested, no_token, token_expired).',
    labelNames: ['reason'] as const,
    registers,
  });
  const syncDuration = new Histogram({
    name: 'calsync_sync_duration_seconds',
    help: 'Duration of calendar syncs, by kind.',
    labelNames: ['kind'] as const,
    buckets: SYNC_BUCKETS,
    registers,
  });

  const webhookNotifications = new Counter({
    name: 'calsync_webhook_notifications_total',
    help: 'Push notifications received, by result (accepted, duplicate, sync-handshake, forbidden, invalid, error).',
    labelNames: ['result'] as const,
    registers,
  });

  const jobRuns = new Counter({
    name: 'calsync_job_runs_total',
    help: 'Finished runs of scheduled jobs (failed ones included), by job.',
    labelNames: ['job'] as const,
    registers,
  });
  const jobFailures = new Counter({
    name: 'calsync_job_failures_total',
    help: 'Failed runs of scheduled jobs, by job.',
    labelNames: ['job'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'calsync_job_duration_seconds',
    help: 'Duration of scheduled job runs, by job.',
    labelNames: ['job'] as const,
    buckets: JOB_BUCKETS,
    registers,
  });

  const calendarFailures = new Counter({
    name: 'calsync_calendar_failures_total',
    help: "Failures of one calendar's background work (it goes to state error and is retried with backoff), by job.",
    labelNames: ['job'] as const,
    registers,
  });

  // Gauges read from the database when scraped: they must show the rows as they are, including
  // a calendar whose channel was renewed by another process. One aggregate query per scrape
  // serves all of them (prom-client collects metrics concurrently), and none has a calendar
  // label: the series stay the same few with 10,000 calendars. Details: the admin list.
  let scrape: Promise<CalendarSummary | null> | undefined;
  const readSummary = async (): Promise<CalendarSummary | null> => {
    try {
      return await opts.calendarSummary();
    } catch (err) {
      // The scrape must still answer (process and request metrics matter most when the
      // database is down); the calendar series go absent, which is what alerts look for.
      opts.logger.warn({ err }, 'metrics: could not read the calendars');
      return null;
    }
  };
  const summaryNow = () => (scrape ??= readSummary());
  const gauge = (name: string, help: string, read: (s: CalendarSummary) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        // Reset first: a value must never outlive the rows it came from.
        this.reset();
        const summary = await summaryNow();
        if (summary) this.set(read(summary));
      },
    });

  new Gauge({
    name: 'calsync_calendars',
    help: 'Connected calendars by state (active, disconnected, error); absent when the database could not be read.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const summary = await summaryNow();
      if (summary) for (const state of CALENDAR_STATES) this.set({ state }, summary.byState[state]);
    },
  });
  gauge('calsync_watched_calendars', 'Active calendars with a live push channel.', (s) => s.watched);
  gauge('calsync_watch_channels_expiring', 'Push channels of active calendars that expire within a day (expired ones included).', (s) => s.channelsExpiring);
  gauge('calsync_watch_channels_expired', 'Push channels of active calendars that have expired: changes in Google no longer reach us.', (s) => s.channelsExpired);
  gauge(
    'calsync_sync_oldest_success_age_seconds',
    'Age of the oldest last successful sync among watched active calendars (0 when none is watched).',
    (s) => (s.oldestLastSyncAt ? Math.max(0, Math.round((now().getTime() - s.oldestLastSyncAt.getTime()) / 1000)) : 0),
  );
  new Gauge({
    name: 'calsync_google_queued_calls',
    help: "Calls to Google waiting for their turn under Google's quotas (per user and per project).",
    registers,
    collect() {
      this.set(opts.queuedGoogleCalls());
    },
  });

  // Known label values start at zero, so rate() and alerts work before the first occurrence.
  for (const result of WEBHOOK_RESULTS) webhookNotifications.inc({ result }, 0);
  for (const job of JOB_NAMES) {
    jobRuns.inc({ job }, 0);
    jobFailures.inc({ job }, 0);
  }
  for (const job of ['renew-channels', 'reconcile']) calendarFailures.inc({ job }, 0);
  for (const kind of ['full', 'incremental']) for (const outcome of ['success', 'error']) syncRuns.inc({ kind, outcome }, 0);
  syncChanged.inc(0);
  syncDeleted.inc(0);

  return {
    contentType: registry.contentType,
    async render() {
      scrape = undefined;
      try {
        return await registry.metrics();
      } finally {
        scrape = undefined;
      }
    },
    observeHttp(o) {
      httpDuration.observe({ method: o.method, route: o.route, status_code: String(o.statusCode) }, o.durationSeconds);
    },
    google: {
      onCall(e) {
        googleCalls.inc({ operation: e.operation, outcome: e.outcome });
        googleDuration.observe({ operation: e.operation }, e.durationMs / 1000);
      },
    },
    sync: {
      onSync(e) {
        const kind = e.result.fullSync ? 'full' : 'incremental';
        syncRuns.inc({ kind, outcome: 'success' });
        syncChanged.inc(e.result.changed);
        syncDeleted.inc(e.result.deleted);
        if (e.fullSyncReason) fullResyncs.inc({ reason: e.fullSyncReason });
        syncDuration.observe({ kind }, e.durationMs / 1000);
      },
      onSyncError(e) {
        syncRuns.inc({ kind: e.kind, outcome: 'error' });
        syncDuration.observe({ kind: e.kind }, e.durationMs / 1000);
      },
    },
    jobs: {
      onCalendarFailed(job) {
        calendarFailures.inc({ job });
      },
      onRun(e) {
        jobRuns.inc({ job: e.job });
        if (e.outcome === 'failure') jobFailures.inc({ job: e.job });
        jobDuration.observe({ job: e.job }, e.durationMs / 1000);
      },
    },
    webhook(result) {
      webhookNotifications.inc({ result });
    },
  };
}
