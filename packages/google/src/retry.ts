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
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const delay = Math.max(Math.floor(random() * ceiling), error.details.retryAfterMs ?? 0);
  return elapsedMs + delay > policy.maxTotalMs ? null : delay;
}
