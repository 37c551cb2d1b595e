import { fileURLToPath } from 'node:url';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { withSessionLock } from './advisory-locks.ts';
import { migrationsList } from './migrations/index.ts';

/** Where `migration:create` writes new files (the runtime uses the explicit `migrationsList`). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** The entities the ORM maps (defined by the domain packages that own the tables). */
export type OrmEntities = Readonly<NonNullable<Options['entities']>>;

/**
 * rate-limiter-flexible's counters: created by a migration (unlogged, which entities cannot say)
 * but declared by no entity, since the library reads and writes its rows itself. The schema
 * generator must leave it alone, or every diff would drop it.
 */
export const HTTP_RATE_LIMITS_TABLE = 'http_rate_limits';

export interface CreateOrmOptions {
  clientUrl: string;
  entities: OrmEntities;
  debug?: boolean;
  poolMax?: number;
}

export function ormConfig(opts: CreateOrmOptions): Options {
  return {
    clientUrl: opts.clientUrl,
    // Explicit lists, no folder discovery: works the same under tsx, vitest and a bundled build.
    entities: [...opts.entities],
    // The migration tests run the migrator with no entities at all.
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    debug: opts.debug ?? false,
    ...(opts.poolMax === undefined ? {} : { pool: { max: opts.poolMax } }),
    schemaGenerator: { skipTables: [HTTP_RATE_LIMITS_TABLE] },
    migrations: {
      migrationsList: [...migrationsList],
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      emit: 'ts',
      // The default snapshot would be rewritten from the *test* database on every `up()`
      // (a `.snapshot-calsync_test_xxx.json` per run); the migrations themselves are the source of truth.
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
  };
}

export async function createOrm(opts: CreateOrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(opts));
}

// An arbitrary constant shared by every process that migrates this schema.
const MIGRATION_LOCK_KEY = 727_115_001;

/**
 * Applies committed migrations. MikroORM 7's migrator has no lock of its own (two processes would both
 * try to create `mikro_orm_migrations` and both run the initial migration), so a session advisory lock
 * serialises migrators; the second one then finds nothing pending.
 */
export async function migrateUp(orm: MikroORM): Promise<void> {
  const clientUrl = orm.config.get('clientUrl');
  if (!clientUrl) {
    throw new Error('migrateUp needs an ORM created with a clientUrl (use createOrm)');
  }
  await withSessionLock(clientUrl, MIGRATION_LOCK_KEY, async () => {
    await orm.migrator.up();
  });
}
