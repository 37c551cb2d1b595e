import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.ts';
import { createOrm, migrateUp, type CreateOrmOptions } from './orm.ts';
import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * Test-only helpers. This is the one module outside the app config that reads process.env:
 * DATABASE_URL picks an existing server (CI, this machine); without it an embedded server is started.
 */

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

interface SharedServer {
  handle: EmbeddedPostgresHandle;
  users: number;
}

// One embedded server per test process, shared by every database created in it.
let shared: Promise<SharedServer> | undefined;

async function acquireServerUrl(): Promise<{ adminUrl: string; release: () => Promise<void> }> {
  const external = process.env['DATABASE_URL'];
  if (external) {
    return { adminUrl: external, release: async () => undefined };
  }
  const current = (shared ??= startEmbeddedPostgres({ forTests: true }).then((handle) => ({ handle, users: 0 })));
  let server: SharedServer;
  try {
    server = await current;
  } catch (err) {
    // Let the next call try again instead of failing forever on one bad start.
    if (shared === current) shared = undefined;
    throw err;
  }
  server.users += 1;
  return {
    adminUrl: server.handle.url,
    release: async () => {
      server.users -= 1;
      if (server.users === 0 && shared === current) {
        shared = undefined;
        await server.handle.stop();
      }
    },
  };
}

async function withAdminClient<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database (`calsync_test_<random>`); drop() removes it even if connections are still open. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, release } = await acquireServerUrl();
  const name = `calsync_test_${randomBytes(6).toString('hex')}`;
  try {
    await withAdminClient(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  } catch (err) {
    await release();
    throw err;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop: () =>
      (dropped ??= (async () => {
        try {
          await withAdminClient(adminUrl, async (c) => {
            await sessionsGone(c, name);
            await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
          });
        } finally {
          await release();
        }
      })()),
  };
}

// pg's Pool.end() resolves before its connections have closed; FORCE terminating one of them
// meanwhile makes the pool emit 'error' (an idle client got FATAL 57P01), and a pool without a
// listener throws it: an unhandled error in whichever test file dropped its database. So the
// drop first waits for sessions to leave; FORCE is for what is still there after that (a leak).
const SESSIONS_GONE_WAIT_MS = 2000;

async function sessionsGone(admin: pg.Client, database: string): Promise<void> {
  const deadline = Date.now() + SESSIONS_GONE_WAIT_MS;
  for (;;) {
    const r = await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [database]);
    if ((r.rows[0]?.n ?? 0) === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface TestOrm {
  orm: MikroORM;
  url: string;
  /** Closes the ORM, then drops the database (and stops the embedded server after the last one). */
  close(): Promise<void>;
}

/** A migrated database with an ORM on it: the usual starting point of a test file. */
export async function withTestOrm(opts: Omit<CreateOrmOptions, 'clientUrl'>): Promise<TestOrm> {
  const db = await createTestDatabase();
  let orm: MikroORM | undefined;
  try {
    orm = await createOrm({ ...opts, clientUrl: db.url });
    await migrateUp(orm);
  } catch (err) {
    await orm?.close(true);
    await db.drop();
    throw err;
  }
  const ready = orm;
  return {
    orm: ready,
    url: db.url,
    // Order matters: the ORM's pool must be gone before the database (and server) go away.
    close: async () => {
      await ready.close(true);
      await db.drop();
    },
  };
}
