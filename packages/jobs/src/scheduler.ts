import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda, backoffStrategies } from 'agenda';
import { withSessionLock } from '@calsync/db';
import pg from 'pg';
import { JOB_NAMES, type JobName } from './config.ts';
import { cleanup } from './jobs/cleanup.ts';
import type { JobContext } from './jobs/context.ts';
import { reconcile } from './jobs/reconcile.ts';
import { renewChannels } from './jobs/renew-channels.ts';

const HANDLERS: Record<JobName, (ctx: JobContext) => Promise<object>> = {
  'renew-channels': renewChannels,
  reconcile,
  cleanup,
};

/** Serialises the creation of Agenda's tables across processes (pg_advisory_lock key). */
const AGENDA_SCHEMA_LOCK_KEY = 7_214_003_118;

/** How long stop() waits for running jobs before it lets go of them. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** One finished run of a job, scheduled or run on demand. */
export interface JobRunEvent {
  job: JobName;
  outcome: 'success' | 'failure';
  durationMs: number;
}

/** Told about every job run (metrics). */
export interface JobObserver {
  /** One calendar's background work failed (the run goes on). */
  onCalendarFailed?(job: 'renew-channels' | 'reconcile'): void;
  onRun(event: JobRunEvent): void;
}

export interface JobSchedulerOptions {
  /** PostgreSQL URL: Agenda keeps its jobs (and their logs) in this database. */
  databaseUrl: string;
  context: JobContext;
  /** Names this process in Agenda's records and logs. */
  name?: string;
  observer?: JobObserver;
}

/**
 * The three maintenance jobs on Agenda, stored in PostgreSQL. Agenda's locking (FOR UPDATE SKIP
 * LOCKED) makes each due run happen in exactly one process, however many run the scheduler.
 */
export class JobScheduler {
  readonly agenda: Agenda;
  private readonly pool: pg.Pool;
  private started = false;
  private readonly schema: Promise<void>;

  constructor(private readonly opts: JobSchedulerOptions) {
    const { config } = opts.context;
    // Our own pool, so a dropped connection (e.g. the database restarting, or an embedded one
    // stopped by the same Ctrl-C) is logged instead of crashing the process, and we close it.
    this.pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4 });
    const lost = (err: Error) => opts.context.logger.warn({ err }, 'job scheduler lost a database connection');
    this.pool.on('error', lost);
    // Checked-out clients (Agenda's LISTEN connection stays checked out) report on themselves.
    this.pool.on('connect', (client) => client.on('error', lost));
    this.agenda = new Agenda({
      // Its tables are made by ensureSchema(), one process at a time: two processes starting
      // together on a new database would both run CREATE TABLE IF NOT EXISTS, and one fails.
      backend: new PostgresBackend({ pool: this.pool, ensureSchema: false }),
      name: opts.name ?? `calsync-${process.pid}`,
      processEvery: config.processEveryMs,
      // A run holds its lock at most this long before another process may take the job over.
      defaultLockLifetime: 10 * 60_000,
      defaultConcurrency: 1,
      // Persisted job events: what the dashboard shows as history (start, success, fail, retry).
      logging: true,
    });
    for (const name of JOB_NAMES) {
      this.agenda.define(
        name,
        async () => {
          await this.execute(name);
        },
        {
          concurrency: 1,
          lockLimit: 1,
          // Failed runs are retried soon with growing waits (then the normal schedule resumes).
          backoff: backoffStrategies.exponential({ delay: 30_000, maxRetries: 5, factor: 2 }),
        },
      );
    }
    this.schema = this.ensureSchema();
    // Surfaced by ready(); not an unhandled rejection meanwhile.
    this.schema.catch(() => undefined);
  }

  /** Agenda's tables exist and it is connected: its job queries may run. */
  async ready(): Promise<void> {
    await this.schema;
    await this.agenda.ready;
  }

  /**
   * Agenda's tables (jobs and their logs), made by Agenda's own schema code under a session
   * advisory lock, so processes starting together make them one after the other.
   */
  private async ensureSchema(): Promise<void> {
    await withSessionLock(this.opts.databaseUrl, AGENDA_SCHEMA_LOCK_KEY, async () => {
      // A backend of its own whose connect makes the tables (and nothing else: no LISTEN).
      await new PostgresBackend({ pool: this.pool, disableNotifications: true }).connect();
    });
  }

  /**
   * Connects, makes sure each job is scheduled, starts processing. An existing schedule is kept
   * across restarts (the stored next run stands); a job whose interval was reconfigured is
   * rescheduled from now, or the old interval would hold until its next run.
   */
  async start(): Promise<void> {
    await this.ready();
    for (const name of JOB_NAMES) {
      const interval = this.opts.context.config.every[name];
      const { jobs: existing } = await this.agenda.queryJobs({ name });
      if (existing.some((j) => j.repeatInterval !== undefined && String(j.repeatInterval) !== String(interval))) {
        this.opts.context.logger.info({ job: name, every: interval }, 'job interval changed: rescheduling');
        await this.agenda.cancel({ name });
      }
      await this.agenda.every(interval, name);
    }
    await this.agenda.start();
    this.started = true;
  }

  /** Runs a job in this process right now (CLI), with the same logging as a scheduled run. */
  async runNow(name: JobName): Promise<object> {
    await this.ready();
    return this.execute(name);
  }

  /**
   * Stops taking jobs and waits (up to timeoutMs, default DEFAULT_DRAIN_TIMEOUT_MS) for running ones, so the ORM can close after
   * it; then releases Agenda's connections. A job cut off by the timeout is unlocked by Agenda
   * and its idempotent work is redone by the next run.
   */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.schema.catch(() => undefined);
    await this.agenda.ready;
    if (this.started) {
      this.started = false;
      const drained = await this.agenda.drain({ timeout: opts.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS });
      if (drained.timedOut) this.opts.context.logger.warn({ running: drained.running }, 'jobs still running at shutdown');
    }
    await this.pool.end();
  }

  private async execute(name: JobName): Promise<object> {
    const { logger } = this.opts.context;
    const t0 = performance.now();
    logger.info({ job: name }, 'job started');
    try {
      const result = await HANDLERS[name]({ ...this.opts.context, onCalendarFailed: (job) => this.opts.observer?.onCalendarFailed?.(job) });
      const durationMs = performance.now() - t0;
      logger.info({ job: name, ms: Math.round(durationMs), ...result }, 'job finished');
      this.notify({ job: name, outcome: 'success', durationMs });
      return result;
    } catch (err) {
      const durationMs = performance.now() - t0;
      logger.error({ job: name, ms: Math.round(durationMs), err }, 'job failed');
      this.notify({ job: name, outcome: 'failure', durationMs });
      throw err;
    }
  }

  /** A failing observer must never fail the job (Agenda would retry work that succeeded). */
  private notify(event: JobRunEvent): void {
    try {
      this.opts.observer?.onRun(event);
    } catch (err) {
      this.opts.context.logger.warn({ err, job: event.job }, 'job observer failed');
    }
  }
}
