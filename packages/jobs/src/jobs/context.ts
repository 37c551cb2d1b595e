import type { Logger, SyncService, WatchService } from '@calsync/calendar';
import type { EntityManager } from '@calsync/db';
import type { JobsConfig } from '../config.ts';

/** What every job gets: services, config, a logger and the clock (injectable for tests). */
export interface JobContext {
  em: EntityManager;
  sync: SyncService;
  watch: WatchService;
  config: JobsConfig;
  logger: Logger;
  now: () => Date;
  /** Told each time one calendar's background work fails (metrics); the run goes on. */
  onCalendarFailed?: ((job: 'renew-channels' | 'reconcile') => void) | undefined;
}
