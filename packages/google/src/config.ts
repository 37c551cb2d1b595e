import type { GoogleErrorKind } from './errors.ts';
import type { RateLimit } from './rate-limiter.ts';
import type { RetryPolicy } from './retry.ts';

/** The fields of a Google service-account key JSON that the gateway needs. */
export interface ServiceAccountCredentials {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

export interface GoogleGatewayConfig {
  credentials: ServiceAccountCredentials;
  /** Domain-wide delegation: the Workspace user the service account acts as. */
  impersonateUser?: string | undefined;
  /**
   * Sends both the token call (`<base>/token`) and the API calls (`<base>/calendar/v3/...`)
   * somewhere other than Google, e.g. the local emulator. Unset = real Google.
   */
  apiBaseUrl?: string | undefined;
  /** Per-request timeout towards Google. */
  timeoutMs?: number | undefined;
  /** Retry policy for failed calls (defaults: 5 attempts, full-jitter backoff, 30 s in all). */
  retry?: Partial<RetryPolicy> | undefined;
  /** Per-process cap on calls (defaults: 600/min, burst 20, 10 at once). */
  rateLimit?: Partial<RateLimit> | undefined;
  /** Told about every attempt (metrics, logs). */
  observer?: GatewayObserver | undefined;
}

/** One attempt of one call to Google, as observed. */
export interface GoogleCallEvent {
  operation: string;
  /** 'success' or the failure's kind. */
  outcome: 'success' | GoogleErrorKind;
  status: number | undefined;
  durationMs: number;
  attempt: number;
  /** Set when the failure will be retried after this many ms. */
  retryInMs: number | undefined;
}

export interface GatewayObserver {
  onCall(event: GoogleCallEvent): void;
}

/** Only the calendar scope: least privilege, and what domain-wide delegation grants. */
export const CALENDAR_SCOPES = ['https://www.googleapis.com/auth/calendar'];
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
