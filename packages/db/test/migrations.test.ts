import { afterEach, describe, expect, it } from 'vitest';
import { createOrm, migrateUp, type MikroORM } from '../src/index.ts';
import { migrationsList } from '../src/migrations/index.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

// Resources are released in reverse order of creation: ORMs before their database, databases before the server.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

async function ormOn(url: string): Promise<MikroORM> {
  const orm = await createOrm({ clientUrl: url });
  cleanups.push(() => orm.close(true));
  return orm;
}

async function executedNames(orm: MikroORM): Promise<string[]> {
  return (await orm.migrator.getExecuted()).map((m) => m.name);
}

describe('migrations', () => {
  it('apply on an empty database, and a second run is a no-op', async () => {
    const orm = await ormOn((await freshDatabase()).url);
    const expected = migrationsList.map((m) => m.name);

    await migrateUp(orm);
    expect(await executedNames(orm)).toEqual(expected);
    expect(await orm.migrator.getPending()).toEqual([]);

    await migrateUp(orm);
    expect(await executedNames(orm)).toEqual(expected);
  });

  it('leave no difference between the entities and the database', async () => {
    const orm = await ormOn((await freshDatabase()).url);
    await migrateUp(orm);

    // What `migration:create` would put into a new migration; empty means the committed ones are complete
    // (including the partial list index and the status CHECK, which the entities declare).
    expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
    expect(await orm.migrator.checkSchema()).toBe(false);
  });

  it('create the partial list index and the status check', async () => {
    const orm = await ormOn((await freshDatabase()).url);
    await migrateUp(orm);
    const conn = orm.em.getConnection();

    const [index] = await conn.execute<{ indexdef: string }[]>(
      `select indexdef from pg_indexes where indexname = 'calendar_events_list_idx'`,
    );
    expect(index?.indexdef).toMatch(/\(calendar_id, start_time, id\) WHERE \(status <> 'cancelled'::text\)/);

    const [check] = await conn.execute<{ def: string }[]>(
      `select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'calendar_events_status_check'`,
    );
    expect(check?.def).toContain('confirmed');
  });

  it('succeed when two processes migrate the same fresh database at once', async () => {
    const db = await freshDatabase();
    // Two ORMs = two pools, as two server processes starting together would have.
    const [a, b] = await Promise.all([ormOn(db.url), ormOn(db.url)]);

    await expect(Promise.all([migrateUp(a), migrateUp(b)])).resolves.toEqual([undefined, undefined]);
    expect(await executedNames(a)).toEqual(migrationsList.map((m) => m.name));
  });
});
