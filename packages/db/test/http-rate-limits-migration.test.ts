import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createOrm, HTTP_RATE_LIMITS_TABLE, migrateUp } from '../src/index.ts';
import { createTestDatabase } from '../src/testing.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A fresh database with a plain connection on it, migrated only when the test says so. */
async function database(): Promise<{ sql: pg.Client; migrate: () => Promise<void> }> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  cleanups.push(() => sql.end());
  return {
    sql,
    migrate: async () => {
      const orm = await createOrm({ clientUrl: db.url, entities: [] });
      try {
        await migrateUp(orm);
      } finally {
        await orm.close(true);
      }
    },
  };
}

const persistence = async (sql: pg.Client) =>
  (await sql.query<{ relpersistence: string }>(`select relpersistence from pg_class where relname = $1`, [HTTP_RATE_LIMITS_TABLE])).rows;

it('creates the rate-limit table unlogged', async () => {
  const { sql, migrate } = await database();
  await migrate();
  expect(await persistence(sql)).toEqual([{ relpersistence: 'u' }]);
});

it('turns the logged rate-limit table an earlier version created at start-up into an unlogged one, keeping its rows', async () => {
  const { sql, migrate } = await database();
  await sql.query('create table http_rate_limits (key varchar(255) primary key, points integer not null default 0, expire bigint)');
  await sql.query(`insert into http_rate_limits values ('api:user:u1', 3, 4102444800000)`);

  await migrate();

  expect(await persistence(sql)).toEqual([{ relpersistence: 'u' }]);
  expect((await sql.query('select key, points, expire from http_rate_limits')).rows).toEqual([{ key: 'api:user:u1', points: 3, expire: '4102444800000' }]);
});
