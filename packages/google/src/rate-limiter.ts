/**
 * A per-process cap on calls to Google: a token bucket (requests per minute, with a small burst)
 * and a bound on calls in flight. Google's documented default quota is 600 requests per minute
 * per user; a resync must not blow through it and get the whole integration throttled.
 */
export interface RateLimit {
  requestsPerMinute: number;
  /** Calls allowed at once above the steady rate. */
  burst: number;
  maxConcurrent: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerMinute: 600, burst: 20, maxConcurrent: 10 };

export class RateLimiter {
  private tokens: number;
  private lastRefill: number;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.lastRefill = now();
  }

  /** Runs fn when a token and a concurrency slot are free, in arrival order. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.drain();
    });
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.drain();
    }
  }

  private refill(): void {
    const now = this.now();
    const perMs = this.limit.requestsPerMinute / 60_000;
    this.tokens = Math.min(this.limit.burst, this.tokens + (now - this.lastRefill) * perMs);
    this.lastRefill = now;
  }

  private drain(): void {
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= 1 && this.inFlight < this.limit.maxConcurrent) {
      this.tokens -= 1;
      this.inFlight++;
      this.waiters.shift()?.();
    }
    if (this.waiters.length > 0 && this.tokens < 1 && !this.timer) {
      const waitMs = Math.ceil((1 - this.tokens) / (this.limit.requestsPerMinute / 60_000));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, waitMs);
    }
  }
}
