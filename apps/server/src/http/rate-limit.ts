import { HTTP_RATE_LIMITS_TABLE } from '@calsync/db';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Logger } from '../logger.ts';
import { SharedLimiter, type Limiter } from './shared-limiter.ts';

/** The limits, from the config; 0 turns a limit off. */
export interface RateLimitConfig {
  /** Procedure calls per user (or per client address without a valid token) per minute. */
  apiPerMinute: number;
  /**
   * Notifications per channel id per minute. A minute, not a second: Google sends one
   * notification per change, so a bulk edit of a calendar is a legitimate burst of a thousand
   * in a second (the scheduler coalesces them into a few syncs), and a refused one is retried by
   * Google only a few times before it is lost. Only a sustained flood is cut.
   */
  webhookPerMinute: number;
}

export interface RateLimits {
  /** undefined when the limit is off. */
  api: Limiter | undefined;
  webhook: Limiter | undefined;
  close(): Promise<void>;
}

const CLEANUP_EVERY_MS = 5 * 60_000;

/**
 * Rate limits stored in PostgreSQL, so that several server processes behind one load balancer
 * count together, taken in leases (see SharedLimiter). Uses a small pool of its own: a flood being
 * limited must not take the connections the API and the sync need. The table comes from the
 * database migrations, which run before this.
 */
export async function createRateLimits(opts: { databaseUrl: string; config: RateLimitConfig; logger: Logger }): Promise<RateLimits> {
  const { config, logger } = opts;
  if (config.apiPerMinute === 0 && config.webhookPerMinute === 0) {
    return { api: undefined, webhook: undefined, close: async () => {} };
  }
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4, application_name: 'calsync-rate-limits' });
  // An idle client that loses its connection must not crash the process (pg emits 'error').
  pool.on('error', (err) => logger.warn({ err }, 'rate-limit pool: idle connection lost'));

  const limiter = (keyPrefix: string, points: number, duration: number): Limiter | undefined =>
    points > 0
      ? new SharedLimiter(
          new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: HTTP_RATE_LIMITS_TABLE, tableCreated: true, clearExpiredByTimeout: false, keyPrefix, points, duration }),
          new RateLimiterMemory({ keyPrefix, points, duration }),
          logger,
        )
      : undefined;

  // Expired rows are only overwritten when their key comes back: delete the others now and then.
  const cleanup = setInterval(() => {
    pool.query(`delete from ${HTTP_RATE_LIMITS_TABLE} where expire < $1`, [Date.now() - 3_600_000]).catch((err: unknown) => logger.warn({ err }, 'rate-limit cleanup failed'));
  }, CLEANUP_EVERY_MS);
  cleanup.unref();

  return {
    api: limiter('api', config.apiPerMinute, 60),
    webhook: limiter('webhook', config.webhookPerMinute, 60),
    async close() {
      clearInterval(cleanup);
      await pool.end();
    },
  };
}

/** The address a request came from, as a limiter key for requests with no better identity. */
export function clientKey(ip: string | undefined): string {
  return `ip:${ip ?? 'unknown'}`;
}
