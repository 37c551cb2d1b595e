// Entities are defined by the packages that own their tables, with MikroORM's builders from here.
export { defineEntity, p, type EntitySchema, type InferEntity, type Opt } from '@mikro-orm/core';
export { AdvisoryLocks, LockTimeoutError, withSessionLock, type LockResult } from './advisory-locks.ts';
export { createOrm, migrateUp, HTTP_RATE_LIMITS_TABLE, type CreateOrmOptions, type OrmEntities } from './orm.ts';
export {
  startEmbeddedPostgres,
  type StartEmbeddedPostgresOptions,
  type EmbeddedPostgresHandle,
} from './embedded-postgres.ts';
export { LockMode } from '@mikro-orm/postgresql';
export { executeBound, queryPrepared } from './sql.ts';
export { listenChannel, type ListenOptions, type NotificationChannel } from './notifications.ts';
export type { MikroORM, EntityManager, Options as OrmOptions } from '@mikro-orm/postgresql';
