import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/index.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startEmbeddedPostgres', () => {
  it('starts a server on a free port and leaves no process or data behind after stop()', async () => {
    const dataDir = join(tmpdir(), `calsync-pg-test-${randomUUID()}`);
    const pgServer = await startEmbeddedPostgres({ dataDir, forTests: true });
    const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    try {
      const client = new pg.Client({ connectionString: pgServer.url });
      await client.connect();
      const { rows } = await client.query<{ fsync: string }>('show fsync');
      expect(rows[0]?.fsync).toBe('off');
      await client.end();
    } finally {
      await pgServer.stop();
    }
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    // A second stop() (e.g. from a shutdown hook) is harmless.
    await expect(pgServer.stop()).resolves.toBeUndefined();
  });

  it('keeps a persistent data directory and can start on it again', async () => {
    const dataDir = join(tmpdir(), `calsync-pg-test-${randomUUID()}`);
    const first = await startEmbeddedPostgres({ dataDir, persistent: true });
    const c1 = new pg.Client({ connectionString: first.url });
    await c1.connect();
    await c1.query('create table kept (x int)');
    await c1.end();
    await first.stop();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    const second = await startEmbeddedPostgres({ dataDir, persistent: false });
    try {
      const c2 = new pg.Client({ connectionString: second.url });
      await c2.connect();
      const { rows } = await c2.query<{ n: string }>(`select count(*) as n from pg_tables where tablename = 'kept'`);
      expect(rows[0]?.n).toBe('1');
      await c2.end();
    } finally {
      await second.stop();
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});
