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

/**
 * A known set-up mistake that Google's answer points at: something an operator changes in the
 * Cloud console, the Admin console or our configuration. Neither a retry nor the user fixes it,
 * so callers (a connect flow, `pnpm check:google`) can tell them apart without reading messages.
 */
export type GoogleSetupProblem =
  | 'api_disabled' // the Calendar API is not enabled in the service account's Cloud project
  | 'delegation_missing' // unauthorized_client: no domain-wide delegation for the client ID and scope
  | 'unknown_user' // invalid_grant: no such (active) Workspace user
  | 'bad_key' // invalid_grant: the key was deleted or replaced, or belongs to another account
  | 'clock_skew' // invalid_grant: the JWT's iat/exp are outside Google's window
  | 'scope_missing' // the token lacks the calendar scope
  | 'no_calendar_service' // the Workspace user has Calendar turned off
  | 'webhook_domain_unverified' // events.watch: push.webhookUrlUnauthorized
  | 'webhook_not_https' // events.watch: push.webhookUrlNotHttps
  | 'meet_needs_delegation' // "Invalid conference type value." for a plain service account
  | 'attendees_need_delegation'; // forbiddenForServiceAccounts

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
      setupProblem?: GoogleSetupProblem | undefined;
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

  get setupProblem(): GoogleSetupProblem | undefined {
    return this.details.setupProblem;
  }
}

/**
 * Google's error bodies: the token endpoint's OAuth form `{error, error_description}`, or the API
 * envelope, whose newer form adds `details` (google.rpc.ErrorInfo with a reason such as
 * SERVICE_DISABLED and metadata such as `consumer: "projects/<number>"`).
 */
interface GoogleErrorBody {
  error?: string | { errors?: Array<{ reason?: string; message?: string }>; message?: string; code?: number; details?: GoogleErrorDetail[] };
  error_description?: string;
}

interface GoogleErrorDetail {
  '@type'?: string;
  reason?: string;
  metadata?: Record<string, string>;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

const DELEGATION_HINT =
  'Set GOOGLE_IMPERSONATE_USER to a user of your Google Workspace domain and grant the service ' +
  `account's client ID the ${CALENDAR_SCOPE} scope under domain-wide delegation ` +
  '(Admin console > Security > API controls).';

/** Where a Workspace admin grants a service account the right to act as the domain's users. */
const GRANT_DELEGATION =
  "In the Google Admin console of the user's domain, open Security > Access and data control > API controls > " +
  "Manage domain-wide delegation and add the service account's client ID (client_id in its key JSON) with the scope " +
  `${CALENDAR_SCOPE}; a new grant can take a few minutes to apply.`;

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
  if (typeof body.error === 'string') return classifyTokenError(body.error, body.error_description ?? '', { ...detail, reason: body.error });

  const first = body.error?.errors?.[0];
  const reason = first?.reason;
  const googleMessage = first?.message ?? body.error?.message ?? err.message;
  const d = { ...detail, reason };

  const setup = classifySetupProblem(status, reason, googleMessage, body.error?.details ?? [], d);
  if (setup) return setup;
  if (status === 429) return new GoogleApiError('rate_limited', 'Google Calendar rate limit reached; try again shortly.', d);
  if (status >= 500) return new GoogleApiError('unavailable', `Google Calendar is temporarily unavailable (${status}); try again shortly.`, d);
  switch (status) {
    case 400:
      return new GoogleApiError('invalid', `Google Calendar rejected the request: ${googleMessage}`, d);
    case 401:
      return new GoogleApiError('auth', 'Google rejected the access token; check the service account credentials.', d);
    case 403:
      if (reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded') {
        return new GoogleApiError('rate_limited', 'Google Calendar rate limit reached; try again shortly.', d);
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

type ErrorDetail = ConstructorParameters<typeof GoogleApiError>[2];

/**
 * The token endpoint's refusals. Google answers every bad assertion with invalid_grant and says
 * which in error_description ("Invalid email or User ID", "Invalid JWT Signature.", "Invalid JWT:
 * Token must be a short-lived token (60 minutes) and in a reasonable timeframe..."); `reason` stays
 * the OAuth code, which callers already match on.
 */
function classifyTokenError(code: string, description: string, d: ErrorDetail): GoogleApiError {
  const google = `${code}${description ? `: ${description}` : ''}`;
  const setup = (problem: GoogleSetupProblem, message: string) => new GoogleApiError('auth', message, { ...d, setupProblem: problem });
  if (code === 'unauthorized_client') {
    return setup(
      'delegation_missing',
      `Google refused to let the service account act as this user (${google}): domain-wide delegation is not granted for its client ID, or not for the scope ${CALENDAR_SCOPE}. ${GRANT_DELEGATION}`,
    );
  }
  if (code === 'invalid_grant' && /invalid email|user id|not a valid email/i.test(description)) {
    return setup(
      'unknown_user',
      `Google knows no active Google Workspace user by this address (${google}): check it for typos; the user may be suspended or deleted, or the address is not in a Google Workspace domain.`,
    );
  }
  if (code === 'invalid_grant' && /signature|account not found/i.test(description)) {
    return setup(
      'bad_key',
      `Google rejected the service account key (${google}): the key was deleted or replaced, the service account was deleted, or the key belongs to another account. Create a new JSON key (Google Cloud console > IAM & Admin > Service accounts > Keys) and set GOOGLE_SERVICE_ACCOUNT_JSON to it.`,
    );
  }
  if (code === 'invalid_grant' && /short-lived|reasonable timeframe/i.test(description)) {
    return setup('clock_skew', `Google refused the sign-in assertion as outside its time window (${google}): this machine's clock is off; synchronise it (NTP).`);
  }
  if (code === 'invalid_scope' || code === 'access_denied') {
    return setup('scope_missing', `Google refused the scope ${CALENDAR_SCOPE} (${google}). ${GRANT_DELEGATION}`);
  }
  const status = d?.status ?? 400;
  return new GoogleApiError(status >= 500 ? 'unavailable' : 'auth', `Google rejected the service account credentials (${google}). Check GOOGLE_SERVICE_ACCOUNT_JSON.`, d);
}

const CALENDAR_API_PAGE = 'https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview';

/**
 * The API's answers that point at the deployment's set-up rather than at the request. Matched on
 * Google's reasons first and its message text second, because the two body forms (the legacy
 * `errors[].reason` and the newer `details[].reason`) do not always both carry the reason.
 */
function classifySetupProblem(
  status: number,
  reason: string | undefined,
  googleMessage: string,
  details: GoogleErrorDetail[],
  d: ErrorDetail,
): GoogleApiError | undefined {
  const info = details.find((x) => x['@type']?.endsWith('google.rpc.ErrorInfo') ?? x.reason !== undefined);
  const setup = (kind: GoogleErrorKind, problem: GoogleSetupProblem, message: string) => new GoogleApiError(kind, message, { ...d, setupProblem: problem });

  if (reason === 'accessNotConfigured' || info?.reason === 'SERVICE_DISABLED' || /has not been used in project/i.test(googleMessage)) {
    // The project number is in ErrorInfo's consumer ("projects/123") and in the message ("in project 123").
    const project = /^projects\/(.+)$/.exec(info?.metadata?.['consumer'] ?? '')?.[1] ?? /\bproject (\d+)/.exec(googleMessage)?.[1];
    const where = project ? `${CALENDAR_API_PAGE}?project=${encodeURIComponent(project)}` : `${CALENDAR_API_PAGE} (in the service account's project)`;
    return setup(
      'config',
      'api_disabled',
      `The Google Calendar API is not enabled in the service account's Google Cloud project${project ? ` ${project}` : ''}: enable it at ${where}, wait a few minutes for it to take effect, and try again.`,
    );
  }
  if (reason === 'insufficientPermissions' || info?.reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT') {
    return setup('config', 'scope_missing', `The access token lacks the Google Calendar scope (${reason ?? info?.reason}): the service account must be granted ${CALENDAR_SCOPE}. ${GRANT_DELEGATION}`);
  }
  if (reason === 'notACalendarUser') {
    return setup(
      'config',
      'no_calendar_service',
      `This user has no Google Calendar (notACalendarUser: ${googleMessage}): turn the Calendar service on for the user's organizational unit in the Google Admin console (Apps > Google Workspace > Calendar), or use another user.`,
    );
  }
  if (reason === 'push.webhookUrlUnauthorized' || /unauthorized webhook callback/i.test(googleMessage)) {
    return setup(
      'config',
      'webhook_domain_unverified',
      `Google refused to deliver push notifications to this address (${googleMessage}): the domain of WEBHOOK_BASE_URL is not verified for the project. Verify it in Google Search Console (https://search.google.com/search-console) with an owner of the service account's Google Cloud project, add it under APIs & Services > Domain verification in that project, and try again.`,
    );
  }
  if (reason === 'push.webhookUrlNotHttps' || /callback must be https/i.test(googleMessage)) {
    return setup(
      'config',
      'webhook_not_https',
      `Google delivers push notifications only to https addresses with a valid certificate (${googleMessage}): set WEBHOOK_BASE_URL to the service's public https URL.`,
    );
  }
  if (status === 400 && /conference type/i.test(googleMessage)) {
    return setup('config', 'meet_needs_delegation', `Google refused to create a Meet link for a service account without domain-wide delegation. ${DELEGATION_HINT}`);
  }
  if (status === 403 && reason === 'forbiddenForServiceAccounts') {
    return setup('config', 'attendees_need_delegation', `Google does not let a service account invite attendees without domain-wide delegation. ${DELEGATION_HINT}`);
  }
  return undefined;
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
