export { AGENDA_JOBS_TABLE, AGENDA_LOGS_TABLE, DEFAULT_JOBS_CONFIG, JOB_NAMES, type JobName, type JobsConfig } from './config.ts';
export { cleanup, type CleanupResult } from './jobs/cleanup.ts';
export type { JobContext } from './jobs/context.ts';
export { reconcile, type ReconcileResult } from './jobs/reconcile.ts';
export { JobFailedError, renewChannels, type RenewResult } from './jobs/renew-channels.ts';
export { DEFAULT_DRAIN_TIMEOUT_MS, JobScheduler, type JobObserver, type JobRunEvent, type JobSchedulerOptions } from './scheduler.ts';
