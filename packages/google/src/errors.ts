import { GaxiosError } from 'gaxios';

/**
 * What kind of failure a Google call had, which decides what the caller does:
 * retry later, fix configuration, reload, or report bad input.
 */
export type GoogleErrorKind =
  | 'rate_limited' // 429, 403 rateLimitExceeded/userRateLimitExceeded: retry with backoff
  | 'unavailable' // 5xx, timeouts, connection resets: retry with backoff
  | 'auth' // credentials rejected (bad key, expired token, delegation not granted)
  | 'config' // the deployment lacks something Google needs (e.g. domain-wide delegation)
  | 'forbidden' // permission denied on this calendar/event, or a daily quota exhausted
  | 'not_found'
  | 'conflict' // 409 duplicate id
  | 'gone' // 410 deleted
  | 'sync_token_expired' // 410 fullSyncRequired: drop the token and list everything
  | 'precondition_failed' // 412: the etag no longer matches
  | 'invalid'; // 400: Google refused the request's content

const RETRYABLE: ReadonlySet<GoogleErrorKind> = new Set(['rate_limited', 'unavailable']);

export class GoogleApiError extends Error {
  override readonly name = 'GoogleApiError';
  readonly retryable: boolean;

  constructor(
    readonly kind: GoogleErrorKind,
    message: string,
    readonly details: {
      status?: number | undefined;
      reason?: string | undefined;
      operation?: string | undefined;
      retryAfterMs?: number | undefined;
    } = {},
  ) {
    super(message);
    this.retryable = RETRYABLE.has(kind);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get reason(): string | undefined {
    return this.details.reason;
  }
}

interface GoogleErrorBody {
  error?: string | { errors?: Array<{ reason?: string; message?: string }>; message?: string; code?: number };
  error_description?: string;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

const DELEGATION_HINT =
  'Set GOOGLE_IMPERSONATE_USER to a user of your Google Workspace domain and grant the service ' +
  "account's client ID the https://www.googleapis.com/auth/calendar scope under domain-wide delegation " +
  '(Admin console > Security > API controls).';

/** Turns anything thrown by the Google client library into a classified GoogleApiError. */
export function classifyGoogleError(err: unknown, operation: string): GoogleApiError {
  if (err instanceof GoogleApiError) return err;
  if (!(err instanceof GaxiosError) || err.status === undefined) {
    return classifyTransportError(err, operation);
  }
  const status = err.status;
  const body = (err.response?.data ?? {}) as GoogleErrorBody;
  const retryAfterMs = parseRetryAfter(err.response?.headers);
  const detail = { status, operation, retryAfterMs };

  // Token endpoint answers {error: "invalid_grant", error_description}.
  if (typeof body.error === 'string') {
    if (body.error === 'unauthorized_client') {
      return new GoogleApiError('auth', `Google refused to let the service account act as the configured user. ${DELEGATION_HINT}`, { ...detail, reason: body.error });
    }
    return new GoogleApiError(
      status >= 500 ? 'unavailable' : 'auth',
      `Google rejected the service account credentials (${body.error}${body.error_description ? `: ${body.error_description}` : ''}). Check GOOGLE_SERVICE_ACCOUNT_JSON.`,
      { ...detail, reason: body.error },
    );
  }

  const first = body.error?.errors?.[0];
  const reason = first?.reason;
  const googleMessage = first?.message ?? body.error?.message ?? err.message;
  const d = { ...detail, reason };

  if (status === 429) return new GoogleApiError('rate_limited', 'Google Calendar rate limit reached; try again shortly.', d);
  if (status >= 500) return new GoogleApiError('unavailable', `Google Calendar is temporarily unavailable (${status}); try again shortly.`, d);
  switch (status) {
    case 400:
      if (/conference type/i.test(googleMessage)) {
        return new GoogleApiError('config', `Google refused to create a Meet link for a service account without domain-wide delegation. ${DELEGATION_HINT}`, d);
      }
      return new GoogleApiError('invalid', `Google Calendar rejected the request: ${googleMessage}`, d);
    case 401:
      return new GoogleApiError('auth', 'Google rejected the access token; check the service account credentials.', d);
    case 403:
      if (reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded') {
        return new GoogleApiError('rate_limited', 'Google Calendar rate limit reached; try again shortly.', d);
      }
      if (reason === 'forbiddenForServiceAccounts') {
        return new GoogleApiError('config', `Google does not let a service account invite attendees without domain-wide delegation. ${DELEGATION_HINT}`, d);
      }
      if (reason === 'insufficientPermissions') {
        return new GoogleApiError('config', 'The service account token lacks the Google Calendar scope; grant https://www.googleapis.com/auth/calendar.', d);
      }
      if (reason === 'quotaExceeded' || reason === 'dailyLimitExceeded') {
        return new GoogleApiError('forbidden', 'The Google Calendar API quota of this project is exhausted.', d);
      }
      return new GoogleApiError('forbidden', `Google Calendar denied access: ${googleMessage}`, d);
    case 404:
      return new GoogleApiError('not_found', 'The event or calendar does not exist in Google Calendar.', d);
    case 409:
      return new GoogleApiError('conflict', 'An event with this id already exists in Google Calendar.', d);
    case 410:
      if (reason === 'fullSyncRequired') return new GoogleApiError('sync_token_expired', 'The sync token expired; a full sync is required.', d);
      return new GoogleApiError('gone', 'The event was deleted in Google Calendar.', d);
    case 412:
      return new GoogleApiError('precondition_failed', 'The event was changed in Google Calendar meanwhile; reload it and try again.', d);
    default:
      return new GoogleApiError('invalid', `Google Calendar refused the request (${status}): ${googleMessage}`, d);
  }
}

function classifyTransportError(err: unknown, operation: string): GoogleApiError {
  const code = findErrorCode(err);
  const name = err instanceof Error ? err.name : '';
  if ((code && NETWORK_CODES.has(code)) || name === 'AbortError' || name === 'TimeoutError' || err instanceof GaxiosError) {
    return new GoogleApiError('unavailable', `Could not reach Google Calendar (${(code ?? name) || 'network error'}); try again shortly.`, { operation });
  }
  // A programming error (or anything unknown) must not pass as a Google error silently.
  throw err;
}

function findErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

function parseRetryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get?.('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
