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
  // The migrator needs no entities: the schema's own tests (with the entities) live with the domain.
  const orm = await createOrm({ clientUrl: url, entities: [] });
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

  it('succeed when two processes migrate the same fresh database at once', async () => {
    const db = await freshDatabase();
    // Two ORMs = two pools, as two server processes starting together would have.
    const [a, b] = await Promise.all([ormOn(db.url), ormOn(db.url)]);

    await expect(Promise.all([migrateUp(a), migrateUp(b)])).resolves.toEqual([undefined, undefined]);
    expect(await executedNames(a)).toEqual(migrationsList.map((m) => m.name));
  });
});
