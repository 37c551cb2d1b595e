import { RateLimiterRes, type RateLimiterMemory, type RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Logger } from '../logger.ts';

export type LimitOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** A counter shared by every process on the database, falling back to this process's memory. */
export interface Limiter {
  consume(key: string, points?: number): Promise<LimitOutcome>;
  /** Drops what it holds for keys whose window has ended (nothing in it counts any more). */
  forgetExpired?(): void;
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

  /** Keys it holds a lease or a refusal for. */
  get heldKeys(): number {
    return this.leases.size;
  }

  /**
   * Leases are otherwise dropped only when their key comes back or the map is full: after 10,000
   * users came through once, their ended leases would stay for good.
   */
  forgetExpired(): void {
    const now = this.now();
    for (const [key, lease] of this.leases) if (lease.until <= now && lease.pending === undefined) this.leases.delete(key);
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
