export const JOB_NAMES = ['renew-channels', 'reconcile', 'cleanup'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobsConfig {
  /** How often each job runs (ms). */
  every: Record<JobName, number>;
  /** Channels expiring within this window are replaced (ms). */
  renewBeforeMs: number;
  /** A channel with no notification for this long is flagged as silent (ms). */
  silentChannelAfterMs: number;
  /** Events that ended longer ago than this are deleted (days). */
  eventRetentionDays: number;
  /** Cancelled events are deleted this long after they were cancelled (days). */
  cancelledRetentionDays: number;
  /** Finished one-off job records, job logs and reconcile history are kept this long (days). */
  historyRetentionDays: number;
  /** How often Agenda looks for due jobs (ms). */
  processEveryMs: number;
  /** Calendars renewed or reconciled at once by one run. */
  concurrency: number;
  /**
   * Calendars a run starts per minute at most: a wave over 10,000 calendars is spread out and
   * leaves room under Google's project quota for what users do meanwhile. 0 = no pacing.
   */
  calendarsPerMinute: number;
  /**
   * Reconcile lists a calendar in full when its last full listing is older than this (ms): Google
   * expands an endless recurring series only up to a horizon (about two years) from the time of a
   * full listing, and incremental syncs never bring the occurrences beyond it, so this rolls the
   * horizon forward.
   */
  fullSyncEveryMs: number;
  /** A calendar whose background work failed is tried again after this, doubling per failure up to the max (ms). */
  failureBackoff: { baseMs: number; maxMs: number };
}

export const DEFAULT_JOBS_CONFIG: JobsConfig = {
  every: { 'renew-channels': 6 * 3600_000, reconcile: 3600_000, cleanup: 24 * 3600_000 },
  renewBeforeMs: 24 * 3600_000,
  silentChannelAfterMs: 24 * 3600_000,
  eventRetentionDays: 365,
  cancelledRetentionDays: 7,
  historyRetentionDays: 30,
  processEveryMs: 5_000,
  concurrency: 8,
  calendarsPerMinute: 2_000,
  fullSyncEveryMs: 30 * 24 * 3600_000,
  failureBackoff: { baseMs: 60_000, maxMs: 6 * 3600_000 },
};

/** Agenda's tables (the PostgreSQL backend's defaults), pruned by cleanup. */
export const AGENDA_JOBS_TABLE = 'agenda_jobs';
export const AGENDA_LOGS_TABLE = 'agenda_logs';
