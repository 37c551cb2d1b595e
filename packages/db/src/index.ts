export {
  CalendarEvent,
  CALENDAR_EVENT_STATUSES,
  type CalendarEventStatus,
  type CalendarEventAttendee,
  type AttendeeResponseStatus,
} from './entities/calendar-event.ts';
export { CalendarSyncState } from './entities/calendar-sync-state.ts';
export { SyncReconciliation } from './entities/sync-reconciliation.ts';
export { entities } from './entities/index.ts';
export { AdvisoryLocks, LockTimeoutError, type LockResult } from './advisory-locks.ts';
export { createOrm, migrateUp, HTTP_RATE_LIMITS_TABLE, type CreateOrmOptions } from './orm.ts';
export {
  startEmbeddedPostgres,
  type StartEmbeddedPostgresOptions,
  type EmbeddedPostgresHandle,
} from './embedded-postgres.ts';
export { LockMode } from '@mikro-orm/postgresql';
export { executeBound, queryPrepared } from './sql.ts';
export { listenChannel, type ListenOptions, type NotificationChannel } from './notifications.ts';
export type { MikroORM, EntityManager, Options as OrmOptions } from '@mikro-orm/postgresql';
