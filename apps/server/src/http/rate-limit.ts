import { HTTP_RATE_LIMITS_TABLE } from '@calsync/db';
import type { RequestHandler } from 'express';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger.ts';

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

export type LimitOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** A counter shared by every process on the database, falling back to this process's memory. */
export interface Limiter {
  consume(key: string, points?: number): Promise<LimitOutcome>;
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

const FALLBACK_WARN_EVERY_MS = 10_000;

/**
 * Points a process takes from the shared counter at once: 2% of the limit (at most 100, at least
 * 1). A limit of 600 a minute then costs a database write per 12 requests instead of one per
 * request, and small limits (under 100) still go to the database every time.
 */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(100, Math.floor(limit / 50)));
}

/** What this process holds for one key until the shared window ends. */
interface Lease {
  /** Points taken from the shared counter and not used yet. */
  remaining: number;
  /** When the shared window ends (epoch ms): the lease, or a refusal, is void after it. */
  until: number;
  /** The shared counter is used up until `until`: refuse without asking the database. */
  exhausted: boolean;
  /** A request to the database for this key in flight: others wait for it instead of asking too. */
  pending?: Promise<void> | undefined;
}

const MAX_LEASES = 10_000;

/**
 * The shared counter in PostgreSQL, taken in leases: a process consumes several points at once
 * and hands them out from memory until they are used or the window ends. The shared count is
 * never exceeded (every allowed request was counted in PostgreSQL before it was allowed); what a
 * process leased and did not use is lost with the window, so with several processes a user can be
 * refused up to (processes - 1) x lease points early. Refusals are remembered until the window
 * ends, so a flood costs the database nothing.
 */
export class SharedLimiter implements Limiter {
  private lastWarnAt = 0;
  private readonly leases = new Map<string, Lease>();
  private readonly lease: number;

  constructor(
    private readonly shared: RateLimiterPostgres,
    private readonly local: RateLimiterMemory,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.lease = leaseSize(shared.points);
  }

  async consume(key: string, points = 1): Promise<LimitOutcome> {
    for (;;) {
      const now = this.now();
      let held = this.leases.get(key);
      if (held !== undefined && held.until <= now && held.pending === undefined) {
        this.leases.delete(key);
        held = undefined;
      }
      if (held?.pending) {
        await held.pending;
        continue;
      }
      if (held?.exhausted) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((held.until - now) / 1000)) };
      if (held !== undefined && held.remaining >= points) {
        held.remaining -= points;
        return { allowed: true };
      }
      return this.take(key, points, held);
    }
  }

  /** Asks the shared counter for a new lease covering `points`; the rest of an old one is given back to nobody. */
  private async take(key: string, points: number, held: Lease | undefined): Promise<LimitOutcome> {
    const want = Math.max(points, this.lease);
    const entry: Lease = held ?? { remaining: 0, until: 0, exhausted: false };
    let outcome: LimitOutcome = { allowed: true };
    let release!: () => void;
    entry.pending = new Promise<void>((resolve) => (release = resolve));
    if (held === undefined) this.remember(key, entry);
    try {
      let res: RateLimiterRes;
      let granted: number;
      try {
        res = await this.shared.consume(key, want);
        granted = want;
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) return await this.fallback(key, points, err, entry);
        res = err;
        // Refused as a whole: the part of the lease still inside the limit is ours all the same.
        granted = Math.max(0, Math.min(want, this.shared.points - (res.consumedPoints - want)));
      }
      const until = this.now() + res.msBeforeNext;
      if (granted >= points) {
        entry.remaining = granted - points;
        entry.until = until;
        entry.exhausted = false;
      } else {
        entry.remaining = 0;
        entry.until = until;
        entry.exhausted = true;
        outcome = rejected(res);
      }
      return outcome;
    } finally {
      entry.pending = undefined;
      release();
    }
  }

  private remember(key: string, entry: Lease): void {
    if (this.leases.size >= MAX_LEASES) {
      const now = this.now();
      for (const [k, l] of this.leases) if (l.until <= now && l.pending === undefined) this.leases.delete(k);
      // Still full of live leases: forget the oldest (its unused points are lost, never exceeded).
      if (this.leases.size >= MAX_LEASES) {
        const oldest = this.leases.keys().next();
        if (!oldest.done) this.leases.delete(oldest.value);
      }
    }
    this.leases.set(key, entry);
  }

  /**
   * A database hiccup must not turn every request into a 500: count in this process until the
   * database answers again (each process then allows the limit on its own).
   */
  private async fallback(key: string, points: number, err: unknown, entry: Lease): Promise<LimitOutcome> {
    entry.remaining = 0;
    entry.until = 0;
    const now = this.now();
    if (now - this.lastWarnAt > FALLBACK_WARN_EVERY_MS) {
      this.lastWarnAt = now;
      this.logger.warn({ err }, 'rate-limit store unavailable: limiting per process meanwhile');
    }
    try {
      await this.local.consume(key, points);
      return { allowed: true };
    } catch (localErr) {
      if (localErr instanceof RateLimiterRes) return rejected(localErr);
      throw localErr;
    }
  }
}

function rejected(res: RateLimiterRes): LimitOutcome {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
}

/** The address a request came from, as a limiter key for requests with no better identity. */
export function clientKey(ip: string | undefined): string {
  return `ip:${ip ?? 'unknown'}`;
}

const SANE_CHANNEL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Google's notifications, counted per channel (X-Goog-Channel-ID): bursts of one busy calendar
 * stay below the cap, a flood on one channel is cut. Requests without a plausible channel id
 * count per client address.
 */
export function webhookRateLimit(limiter: Limiter | undefined): RequestHandler {
  return async (req, res, next) => {
    if (!limiter) {
      next();
      return;
    }
    const channelId = req.get('x-goog-channel-id');
    const key = channelId !== undefined && SANE_CHANNEL_ID.test(channelId) ? `channel:${channelId}` : clientKey(req.ip);
    try {
      const outcome = await limiter.consume(key);
      if (outcome.allowed) {
        next();
        return;
      }
      res
        .set('Retry-After', String(outcome.retryAfterSeconds))
        .status(429)
        .json({ error: { code: 'TOO_MANY_REQUESTS', message: `Too many notifications for this channel; retry in ${outcome.retryAfterSeconds} s.` } });
    } catch (err) {
      next(err);
    }
  };
}
