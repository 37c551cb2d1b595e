import type { GoogleApiError } from './errors.ts';

/** The one retry policy for calls to Google. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff before attempt n+1 is random in [0, min(maxDelayMs, baseDelayMs * 2^n)] ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts after this much time has passed since the first attempt. */
  maxTotalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxTotalMs: 30_000 };

/**
 * How long to wait before the next attempt, or null to give up. Retryable errors only (429,
 * 403 rate limits, 5xx, timeouts, resets); Google's Retry-After is a floor on the wait.
 */
export function nextDelay(error: GoogleApiError, attempt: number, elapsedMs: number, policy: RetryPolicy, random: () => number = Math.random): number | null {
  if (!error.retryable || attempt >= policy.maxAttempts) return null;
  // A quota refusal: Google's documented backoff for them (2^n seconds plus up to a second of
  // jitter, truncated), since its quotas are counted over a minute and a retry within
  // milliseconds would only be refused again. Anything else: full jitter.
  const backoff =
    error.kind === 'rate_limited'
      ? Math.min(policy.maxDelayMs, 1000 * 2 ** (attempt - 1) + Math.floor(random() * 1000))
      : Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
  const delay = Math.max(backoff, error.details.retryAfterMs ?? 0);
  return elapsedMs + delay > policy.maxTotalMs ? null : delay;
}
