import type { GoogleErrorKind } from './errors.ts';
import type { QuotaLimits } from './quota.ts';
import type { RetryPolicy } from './retry.ts';

/** The fields of a Google service-account key JSON that the gateway needs. */
export interface ServiceAccountCredentials {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  /** What a Workspace admin enters under domain-wide delegation. */
  client_id?: string;
}

export interface GoogleGatewayConfig {
  credentials: ServiceAccountCredentials;
  /**
   * Sends both the token call (`<base>/token`) and the API calls (`<base>/calendar/v3/...`)
   * somewhere other than Google, e.g. the local emulator. Unset = real Google.
   */
  apiBaseUrl?: string | undefined;
  /** Per-request timeout towards Google (default DEFAULT_REQUEST_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
  /** Retry policy for failed calls; what is not given comes from DEFAULT_RETRY_POLICY. */
  retry?: Partial<RetryPolicy> | undefined;
  /** Google's quotas as this process's limits; what is not given comes from DEFAULT_QUOTA_LIMITS. */
  quota?: Partial<QuotaLimits> | undefined;
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

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The longest lifetime Google gives a push channel (7 days); it caps longer requests. */
export const MAX_CHANNEL_TTL_SECONDS = 604_800;

/** Only the calendar scope: least privilege, and what domain-wide delegation grants. */
export const CALENDAR_SCOPES = ['https://www.googleapis.com/auth/calendar'];
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
