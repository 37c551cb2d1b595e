/**
 * What `pnpm --filter @calsync/calendar migration:create [name]` runs (the entities live with the
 * domain that owns them; the schema's history lives here).
 *
 * Applies the committed migrations to a scratch database (DATABASE_URL's server, or an embedded one),
 * asks MikroORM for the diff between the entities and that database, and writes it as a new
 * migration file (the folder is the list of migrations). Diffing against a real migrated database
 * (instead of a snapshot file) means the migrations stay the single source of truth.
 */
import { createOrm, migrateUp, type OrmEntities } from './orm.ts';
import { createTestDatabase } from './testing.ts';

/** The migration written (under packages/db/src/migrations) and its statements; null when there was nothing to add. */
export interface CreatedMigration {
  fileName: string;
  up: string[];
}

export async function createMigration(entities: OrmEntities, name: string | undefined): Promise<CreatedMigration | null> {
  const db = await createTestDatabase();
  try {
    const orm = await createOrm({ clientUrl: db.url, entities });
    try {
      await migrateUp(orm);
      const result = await orm.migrator.create(undefined, false, false, name);
      if (!result.fileName) return null;
      return { fileName: result.fileName, up: result.diff.up };
    } finally {
      await orm.close(true);
    }
  } finally {
    await db.drop();
  }
}
