import { HTTP_RATE_LIMITS_TABLE } from '@calsync/db';
import { withTestOrm, type TestOrm } from '@calsync/db/testing';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../logger.ts';
import { leaseSize, SharedLimiter } from './shared-limiter.ts';

/** Migrated: the rate-limit table comes from the migrations. */
let db: TestOrm;
beforeAll(async () => {
  db = await withTestOrm({ entities: [] });
});
afterAll(async () => {
  await db?.close();
});

describe('leases from the shared counter', () => {
  const silent = createLogger({ level: 'silent' });
  let sql: pg.Client;
  beforeAll(async () => {
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
  });
  /** The shared count of a key, as every process sees it. */
  const sharedPoints = async (key: string): Promise<number | undefined> => {
    const rows = await sql.query<{ points: number }>(`select points from http_rate_limits where key = $1`, [`api:${key}`]);
    return rows.rows[0]?.points;
  };
  /** A limiter of `points` per `duration` seconds on the shared table, keys prefixed as the API's are. */
  const sharedLimiter = (pool: pg.Pool, points: number, opts: { duration?: number; logger?: Logger } = {}): SharedLimiter => {
    const duration = opts.duration ?? 60;
    return new SharedLimiter(
      new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: HTTP_RATE_LIMITS_TABLE, tableCreated: true, clearExpiredByTimeout: false, keyPrefix: 'api', points, duration }),
      new RateLimiterMemory({ keyPrefix: 'api', points, duration }),
      opts.logger ?? silent,
    );
  };
  /** `processes` limiters of `apiPerMinute`, each on a pool of its own as server processes have. */
  const withLimits = async <T>(apiPerMinute: number, run: (limiters: SharedLimiter[]) => Promise<T>, processes = 1): Promise<T> => {
    const pools = Array.from({ length: processes }, () => new pg.Pool({ connectionString: db.url, max: 4 }));
    try {
      return await run(pools.map((pool) => sharedLimiter(pool, apiPerMinute)));
    } finally {
      for (const pool of pools) await pool.end();
    }
  };

  it('sizes a lease at 2% of the limit, between 1 and 100 points', () => {
    expect([5, 60, 100, 600, 5000, 1_000_000].map(leaseSize)).toEqual([1, 1, 2, 12, 100, 100]);
  });

  it('takes a lease of points at once and hands them out without asking the database again', async () => {
    await withLimits(600, async ([limiter]) => {
      const api = limiter!;
      expect(await api.consume('user:lease')).toEqual({ allowed: true });
      expect(await sharedPoints('user:lease')).toBe(12);
      for (let i = 0; i < 11; i++) expect(await api.consume('user:lease')).toEqual({ allowed: true });
      expect(await sharedPoints('user:lease')).toBe(12);
      expect(await api.consume('user:lease')).toEqual({ allowed: true });
      expect(await sharedPoints('user:lease')).toBe(24);
      // A batch larger than a lease takes what it needs.
      expect(await api.consume('user:lease-batch', 30)).toEqual({ allowed: true });
      expect(await sharedPoints('user:lease-batch')).toBe(30);
    });
  });

  it('hands out the points of a lease that crosses the limit that are still inside it', async () => {
    await withLimits(100, async ([limiter]) => {
      const api = limiter!;
      // A batch of 99 of the 100; the next request asks for a lease of 2 and gets the last point.
      expect(await api.consume('user:edge', 99)).toEqual({ allowed: true });
      expect(await api.consume('user:edge')).toEqual({ allowed: true });
      expect(await api.consume('user:edge')).toMatchObject({ allowed: false });
    });
  });

  it('asks the database once for concurrent requests of one key', async () => {
    await withLimits(600, async ([api]) => {
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => api!.consume('user:burst')));
      expect(outcomes.every((o) => o.allowed)).toBe(true);
      // 30 requests in leases of 12: three leases, not thirty separate writes.
      expect(await sharedPoints('user:burst')).toBe(36);
    });
  });

  it('never allows more than the limit across processes, and refuses early by at most a lease per other process', async () => {
    await withLimits(
      200,
      async ([a, b]) => {
        let allowed = 0;
        let refusedBoth = 0;
        // Requests spread over two processes in a shuffled order, until both refuse.
        for (let i = 0; refusedBoth < 2 && i < 1000; i++) {
          const outcome = await (i % 3 === 0 ? a : b)!.consume('user:spread');
          if (outcome.allowed) allowed++;
          else refusedBoth = i % 3 === 0 ? refusedBoth | 1 : refusedBoth | 2;
          if (refusedBoth === 3) break;
        }
        expect(allowed).toBeLessThanOrEqual(200);
        expect(allowed).toBeGreaterThanOrEqual(200 - leaseSize(200));
        expect(await sharedPoints('user:spread')).toBeGreaterThanOrEqual(200);
      },
      2,
    );
  });

  it('remembers a refusal until the window ends without asking the database, then takes a new lease', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const limiter = sharedLimiter(pool, 3, { duration: 1 });
      for (let i = 0; i < 3; i++) expect(await limiter.consume('user:window')).toEqual({ allowed: true });
      expect(await limiter.consume('user:window')).toEqual({ allowed: false, retryAfterSeconds: 1 });
      // Cleared in the database: this process still refuses, so it did not ask.
      await sql.query(`delete from http_rate_limits where key = 'api:user:window'`);
      expect(await limiter.consume('user:window')).toMatchObject({ allowed: false });
      await new Promise((r) => setTimeout(r, 1100));
      expect(await limiter.consume('user:window')).toEqual({ allowed: true });
      expect(await sharedPoints('user:window')).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('forgets leases and refusals whose window ended when asked, and keeps the live ones', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    try {
      const short = sharedLimiter(pool, 600, { duration: 1 });
      const long = sharedLimiter(pool, 600, { duration: 60 });
      for (const key of ['user:gone-1', 'user:gone-2']) expect(await short.consume(key)).toEqual({ allowed: true });
      expect(await long.consume('user:stays')).toEqual({ allowed: true });
      await new Promise((r) => setTimeout(r, 1100));
      short.forgetExpired();
      long.forgetExpired();
      expect(short.heldKeys).toBe(0);
      expect(long.heldKeys).toBe(1);
      // The kept lease still serves without a new one from the database.
      expect(await long.consume('user:stays')).toEqual({ allowed: true });
      expect(await sharedPoints('user:stays')).toBe(12);
    } finally {
      await pool.end();
    }
  });

  it('counts in process memory while the database cannot be reached, and logs it', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });
    // A pool whose connections are refused: nothing listens on port 1.
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1, connectionTimeoutMillis: 2000 });
    try {
      const limiter = sharedLimiter(pool, 2, { logger });
      expect(await limiter.consume('user:offline')).toEqual({ allowed: true });
      expect(await limiter.consume('user:offline')).toEqual({ allowed: true });
      expect(await limiter.consume('user:offline')).toMatchObject({ allowed: false });
      expect(lines.join('')).toContain('rate-limit store unavailable');
    } finally {
      await pool.end();
    }
  });
});
