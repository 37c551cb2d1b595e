import { createOrm, migrateUp } from '@calsync/db';
import { createTestDatabase } from '@calsync/db/testing';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { createRateLimits } from './rate-limit.ts';

it('turns a rate-limit table of an earlier version (logged) into an unlogged one, keeping the counters', async () => {
  // Not migrated yet: an earlier version created the table at start-up, before it was a migration.
  const earlier = await createTestDatabase();
  const sql = new pg.Client({ connectionString: earlier.url });
  await sql.connect();
  try {
    await sql.query('create table http_rate_limits (key varchar(255) primary key, points integer not null default 0, expire bigint)');
    await sql.query(`insert into http_rate_limits values ('api:user:u1', 3, $1)`, [Date.now() + 60_000]);

    const orm = await createOrm({ clientUrl: earlier.url, entities: [] });
    try {
      await migrateUp(orm);
    } finally {
      await orm.close(true);
    }
    const limits = await createRateLimits({ databaseUrl: earlier.url, config: { apiPerMinute: 4, webhookPerMinute: 0 }, logger: createLogger({ level: 'silent' }) });
    try {
      const table = await sql.query(`select relpersistence from pg_class where relname = 'http_rate_limits'`);
      expect(table.rows).toEqual([{ relpersistence: 'u' }]);
      // The user had used 3 of 4: one more is allowed, the next is not.
      expect(await limits.api?.consume('user:u1')).toEqual({ allowed: true });
      expect(await limits.api?.consume('user:u1')).toMatchObject({ allowed: false });
    } finally {
      await limits.close();
    }
  } finally {
    await sql.end();
    await earlier.drop();
  }
});
