/**
 * Google's Calendar API quotas as the gateway's own limits, so that its work stays inside them
 * instead of finding them by being refused: requests per minute per user (each delegated user
 * is a quota user) and per project, over a sliding window, plus a bound on calls in flight.
 *
 * Waiting calls are queued per user and served round robin, so a user with a thousand calls
 * queued (a full sync, a renewal wave) delays another user's one call by at most one turn.
 * A refusal from Google anyway (other processes on the same project, Google's own accounting)
 * holds that user, or everyone for a project refusal, for the time Google asks.
 */
export interface QuotaLimits {
  /** Google's default: 600 requests per minute per user per project. */
  perUserPerMinute: number;
  /** Google's default: 10,000 requests per minute per project. */
  perProjectPerMinute: number;
  maxConcurrent: number;
}

export const DEFAULT_QUOTA_LIMITS: QuotaLimits = { perUserPerMinute: 600, perProjectPerMinute: 10_000, maxConcurrent: 10 };

/** Google counts a quota over a sliding minute; this counts it in whole seconds. */
const WINDOW_SECONDS = 60;

/**
 * Calls started per second over the last minute, and their sum. The window it sums is the
 * current second plus the 60 before it: a little longer than Google's minute, so the count it
 * allows against never exceeds Google's.
 */
class SlidingCount {
  private readonly buckets = new Uint32Array(WINDOW_SECONDS + 1);
  private second = 0;
  total = 0;

  /** Forgets the seconds that left the window by `nowSecond`. */
  advance(nowSecond: number): void {
    if (nowSecond <= this.second) return;
    const steps = Math.min(nowSecond - this.second, this.buckets.length);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.second + i) % this.buckets.length;
      this.total -= this.buckets[slot] ?? 0;
      this.buckets[slot] = 0;
    }
    this.second = nowSecond;
  }

  add(): void {
    const slot = this.second % this.buckets.length;
    this.buckets[slot] = (this.buckets[slot] ?? 0) + 1;
    this.total++;
  }

  /** The second from which the count will be below `limit` again (when the oldest calls leave). */
  freesAt(limit: number): number {
    let over = this.total - limit + 1;
    for (let i = 1; i <= WINDOW_SECONDS; i++) {
      over -= this.buckets[(this.second + i) % this.buckets.length] ?? 0;
      if (over <= 0) return this.second + i;
    }
    return this.second + WINDOW_SECONDS + 1;
  }
}

interface Waiter {
  start: () => void;
  refuse: (reason: Error) => void;
}

interface UserQueue {
  readonly key: string;
  readonly waiting: Waiter[];
  readonly count: SlidingCount;
  /** Google refused this user: nothing starts before this time (ms). */
  heldUntil: number;
  /** Last time it was used (ms), to forget idle users. */
  lastUsed: number;
}

/** Users idle this long are forgotten (their counts have left the window long before). */
const IDLE_USER_MS = 5 * 60_000;

export class QuotaLimiter {
  private readonly users = new Map<string, UserQueue>();
  /** Users with calls waiting, in turn order. */
  private readonly ready: UserQueue[] = [];
  private readonly project = new SlidingCount();
  private projectHeldUntil = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private lastSweep = 0;
  private closedWith: Error | undefined;

  constructor(
    private readonly limits: QuotaLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `fn` as a call of `user` when the quotas and the concurrency bound allow it. */
  async run<T>(user: string, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      const queue = this.queueOf(user);
      queue.waiting.push({ start: resolve, refuse: reject });
      if (queue.waiting.length === 1) this.ready.push(queue);
      this.drain();
    });
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.drain();
    }
  }

  /**
   * Google refused a call of `user` for its quota (or the project's, `user` undefined): nothing of
   * theirs starts for `ms`. The refused call itself is retried by the caller's retry policy.
   */
  hold(user: string | undefined, ms: number): void {
    const until = this.now() + ms;
    if (user === undefined) this.projectHeldUntil = Math.max(this.projectHeldUntil, until);
    else {
      const queue = this.queueOf(user);
      queue.heldUntil = Math.max(queue.heldUntil, until);
    }
    this.drain();
  }

  /**
   * Shutting down: calls waiting for their turn fail with `reason` now (rather than hold the
   * process up to a minute), and so does every later one. Calls already running finish.
   */
  close(reason: Error): void {
    this.closedWith = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const queue of this.ready.splice(0)) for (const waiter of queue.waiting.splice(0)) waiter.refuse(reason);
  }

  /**
   * Forgets users whose minute is over (no call counted in the window, none waiting, not held),
   * now rather than at the next call's sweep: a process at rest after 10,000 calendars came
   * through would otherwise keep every user's counter until work comes back.
   */
  forgetIdle(): void {
    const now = this.now();
    const second = Math.floor(now / 1000);
    for (const [key, queue] of this.users) {
      if (queue.waiting.length > 0 || queue.heldUntil > now) continue;
      queue.count.advance(second);
      if (queue.count.total === 0) this.users.delete(key);
    }
  }

  /** Users with a counter kept (what forgetIdle and the sweep bound). */
  get trackedUsers(): number {
    return this.users.size;
  }

  /** Calls waiting for their turn, in all. */
  get waiting(): number {
    let n = 0;
    for (const q of this.ready) n += q.waiting.length;
    return n;
  }

  private queueOf(user: string): UserQueue {
    let queue = this.users.get(user);
    if (!queue) {
      queue = { key: user, waiting: [], count: new SlidingCount(), heldUntil: 0, lastUsed: this.now() };
      this.users.set(user, queue);
    }
    return queue;
  }

  private drain(): void {
    const now = this.now();
    const second = Math.floor(now / 1000);
    this.project.advance(second);
    const { perUserPerMinute, perProjectPerMinute, maxConcurrent } = this.limits;
    let wakeAt = Number.POSITIVE_INFINITY;
    // Users in turn order: each that may start gets one call, then goes to the back. Stops when
    // the slots are full, the project is at its limit, or every waiting user is held.
    let blocked = 0;
    while (this.ready.length > 0 && blocked < this.ready.length && this.inFlight < maxConcurrent) {
      if (this.projectHeldUntil > now || this.project.total >= perProjectPerMinute) {
        wakeAt = Math.max(this.projectHeldUntil, this.project.total >= perProjectPerMinute ? this.project.freesAt(perProjectPerMinute) * 1000 : 0);
        break;
      }
      const queue = this.ready.shift() as UserQueue;
      queue.count.advance(second);
      const overQuota = queue.count.total >= perUserPerMinute;
      if (queue.heldUntil > now || overQuota) {
        wakeAt = Math.min(wakeAt, Math.max(queue.heldUntil, overQuota ? queue.count.freesAt(perUserPerMinute) * 1000 : 0));
        this.ready.push(queue);
        blocked++;
        continue;
      }
      const waiter = queue.waiting.shift();
      queue.count.add();
      this.project.add();
      queue.lastUsed = now;
      this.inFlight++;
      blocked = 0;
      if (queue.waiting.length > 0) this.ready.push(queue);
      waiter?.start();
    }
    if (this.ready.length > 0 && this.inFlight < maxConcurrent && Number.isFinite(wakeAt)) this.wakeAt(wakeAt);
    this.sweep(now);
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.drain();
      },
      Math.max(1, at - this.now()),
    );
  }

  /** Forgets users with nothing waiting and no recent calls, so 10,000 calendars cost no standing memory. */
  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_USER_MS) return;
    this.lastSweep = now;
    for (const [key, queue] of this.users) {
      if (queue.waiting.length === 0 && now - queue.lastUsed > IDLE_USER_MS && queue.heldUntil <= now) this.users.delete(key);
    }
  }
}
