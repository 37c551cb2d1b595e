/**
 * Calendar API usage quotas: requests per minute per project and per user per project, over a
 * sliding window, as Google's quota guide describes. Counted per API request (token calls are not
 * API requests). Counts are always kept; refusing is switched on with `enabled`.
 */
import { ApiError, invalidField } from './errors.ts';

export interface QuotaOptions {
  /** Refuse calls over the limits. Default false: calls are only counted. */
  enabled?: boolean;
  /** Requests per minute per project (the service account's Cloud project). Google's default: 10,000. */
  perProjectPerMinute?: number;
  /** Requests per minute per user per project (the delegated user, else the service account). Google's default: 600. */
  perUserPerMinute?: number;
  /**
   * 403 (default): `userRateLimitExceeded` over the user limit, `rateLimitExceeded` over the project
   * limit. 429: `rateLimitExceeded` with code 429 for both, the other form Google documents.
   */
  status?: 403 | 429;
  /**
   * Default true: a refused request still enters the window, so a client that keeps calling while
   * refused stays refused ("a burst which exceeds your per-minute quota during one minute will result
   * in rate limiting during the next window"). False: only served requests use up the window.
   */
  countRefused?: boolean;
}

export type QuotaSettings = Required<QuotaOptions>;

export const DEFAULT_QUOTAS: QuotaSettings = {
  enabled: false,
  perProjectPerMinute: 10_000,
  perUserPerMinute: 600,
  status: 403,
  countRefused: true,
};

/** The window Google's per-minute quotas slide over, kept in one-second buckets. */
export const QUOTA_WINDOW_MS = 60_000;
const BUCKET_MS = 1000;
const BUCKETS = QUOTA_WINDOW_MS / BUCKET_MS;

export interface CallCount {
  /** Requests in the current 60 s window (refused ones too, unless `countRefused` is false): what the limit is compared with. */
  window: number;
  /** Requests served since the last reset (whatever they answered: a 404 used quota too). */
  served: number;
  /** Requests refused by a quota since the last reset, by the limit that refused them. */
  refused: { user: number; project: number };
}

export interface ProjectCallCount extends CallCount {
  /** Per user (delegated user's address, or the service account acting as itself). */
  users: Record<string, CallCount>;
}

export interface QuotaStats {
  settings: QuotaSettings;
  windowMs: number;
  /** Emulator clock (ms) when counting started: startup or the last reset. */
  sinceMs: number;
  nowMs: number;
  projects: Record<string, ProjectCallCount>;
}

/**
 * Requests over the last BUCKETS seconds in per-second buckets: counting and reading are O(1)
 * amortised, whatever the rate. A request leaves the window 59-60 s after it was made.
 */
class SlidingWindow {
  private readonly buckets = new Uint32Array(BUCKETS);
  /** Absolute second of the newest bucket. */
  private head = -Infinity;
  private sum = 0;

  total(second: number): number {
    this.advance(second);
    return this.sum;
  }

  add(second: number): void {
    this.advance(second);
    this.buckets[second % BUCKETS]! += 1;
    this.sum += 1;
  }

  private advance(second: number): void {
    // A clock moved backwards keeps the newest bucket: the window never grows back.
    if (second <= this.head) return;
    if (second - this.head >= BUCKETS) {
      this.buckets.fill(0);
      this.sum = 0;
    } else {
      for (let s = this.head + 1; s <= second; s++) {
        const i = s % BUCKETS;
        this.sum -= this.buckets[i]!;
        this.buckets[i] = 0;
      }
    }
    this.head = second;
  }
}

class Counter {
  readonly window = new SlidingWindow();
  served = 0;
  refusedUser = 0;
  refusedProject = 0;

  snapshot(second: number): CallCount {
    return { window: this.window.total(second), served: this.served, refused: { user: this.refusedUser, project: this.refusedProject } };
  }
}

interface ProjectCounter {
  counter: Counter;
  users: Map<string, Counter>;
}

export class Quotas {
  private settings: QuotaSettings;
  private projects = new Map<string, ProjectCounter>();
  private sinceMs: number;

  constructor(
    private readonly startOptions: QuotaOptions,
    private readonly now: () => number,
  ) {
    this.settings = merge(DEFAULT_QUOTAS, startOptions);
    this.sinceMs = now();
  }

  /** Counts one API request of `user` in `project`; throws Google's quota error when it is over a limit. */
  admit(project: string, user: string): void {
    const second = Math.floor(this.now() / BUCKET_MS);
    let p = this.projects.get(project);
    if (!p) {
      p = { counter: new Counter(), users: new Map() };
      this.projects.set(project, p);
    }
    let u = p.users.get(user);
    if (!u) {
      u = new Counter();
      p.users.set(user, u);
    }
    const s = this.settings;
    let refusal: 'user' | 'project' | undefined;
    if (s.enabled) {
      // The narrower limit first: one busy user is told it is them, not the whole project.
      if (u.window.total(second) >= s.perUserPerMinute) refusal = 'user';
      else if (p.counter.window.total(second) >= s.perProjectPerMinute) refusal = 'project';
    }
    if (refusal === undefined || s.countRefused) {
      u.window.add(second);
      p.counter.window.add(second);
    }
    if (refusal === undefined) {
      u.served += 1;
      p.counter.served += 1;
      return;
    }
    if (refusal === 'user') {
      u.refusedUser += 1;
      p.counter.refusedUser += 1;
    } else {
      u.refusedProject += 1;
      p.counter.refusedProject += 1;
    }
    throw quotaError(refusal, s.status);
  }

  configure(options: QuotaOptions): QuotaSettings {
    this.settings = merge(this.settings, options);
    return { ...this.settings };
  }

  stats(): QuotaStats {
    const nowMs = this.now();
    const second = Math.floor(nowMs / BUCKET_MS);
    const projects: Record<string, ProjectCallCount> = {};
    for (const [id, p] of this.projects) {
      const users: Record<string, CallCount> = {};
      for (const [email, u] of p.users) users[email] = u.snapshot(second);
      projects[id] = { ...p.counter.snapshot(second), users };
    }
    return { settings: { ...this.settings }, windowMs: QUOTA_WINDOW_MS, sinceMs: this.sinceMs, nowMs, projects };
  }

  /** Counts and windows start over (a fresh minute of quota); settings stay. */
  resetStats(): void {
    this.projects.clear();
    this.sinceMs = this.now();
  }

  /** Counts start over and settings go back to the start options. */
  reset(): void {
    this.resetStats();
    this.settings = merge(DEFAULT_QUOTAS, this.startOptions);
  }
}

function quotaError(refusal: 'user' | 'project', status: 403 | 429): ApiError {
  if (refusal === 'user' && status === 403) {
    return new ApiError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', { domain: 'usageLimits' });
  }
  return new ApiError(status, 'rateLimitExceeded', 'Rate Limit Exceeded', { domain: 'usageLimits' });
}

function merge(base: QuotaSettings, options: QuotaOptions): QuotaSettings {
  const out = { ...base };
  if (options.enabled !== undefined) {
    if (typeof options.enabled !== 'boolean') throw invalidField('quotas.enabled must be a boolean.');
    out.enabled = options.enabled;
  }
  for (const key of ['perProjectPerMinute', 'perUserPerMinute'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidField(`quotas.${key} must be a non-negative integer.`);
    out[key] = v;
  }
  if (options.status !== undefined) {
    if (options.status !== 403 && options.status !== 429) throw invalidField('quotas.status must be 403 or 429.');
    out.status = options.status;
  }
  if (options.countRefused !== undefined) {
    if (typeof options.countRefused !== 'boolean') throw invalidField('quotas.countRefused must be a boolean.');
    out.countRefused = options.countRefused;
  }
  return out;
}
