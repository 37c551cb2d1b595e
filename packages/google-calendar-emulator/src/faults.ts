/** Fault rules: "a bad day at Google" (rate limits, outages, slow answers, dropped connections). */
import { invalidField } from './errors.ts';
import { isObject } from './event.ts';
import { API_METHODS, type ApiMethod } from './stats.ts';

export interface FaultRule {
  /** The Google method it hits (`events.list`, `events.insert`, `token`, ...); omitted: every method. */
  method?: ApiMethod;
  /**
   * The calendar it hits, as written in the URL (`primary`) or resolved (the owner's address);
   * omitted: every calendar. A rule with a calendar never hits `token` or `channels.stop`.
   */
  calendarId?: string;
  /** How many matching calls it affects; default 1. `Infinity` or `'always'`: until cleared. */
  times?: number | 'always';
  /** HTTP status of the injected error. Omitted: derived from `reason`, else 503 (unless the rule only delays or drops). */
  status?: number;
  /** Google's reason (`rateLimitExceeded`, `backendError`, ...); for `token` the OAuth `error` code. Omitted: derived from status. */
  reason?: string;
  /** Omitted: Google's usual message for the reason. */
  message?: string;
  /** Sets the Retry-After header (seconds) on the injected error. */
  retryAfterSeconds?: number;
  /** Answer this much later. Without status/reason/dropConnection the call then proceeds normally. */
  delayMs?: number;
  /** Reset the connection (TCP RST) instead of answering, after delayMs if any. */
  dropConnection?: boolean;
}

/** What the gate does with a call a rule matched. */
export interface FaultAction {
  delayMs: number;
  dropConnection: boolean;
  /** Absent: the call proceeds normally (pure delay). */
  error?: { status: number; reason: string; message: string; domain: string; location?: string; retryAfterSeconds?: number };
}

// Google puts its quota errors in the usageLimits domain; everything else we inject is global.
const USAGE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded']);

const REASON_STATUS: Record<string, number> = {
  rateLimitExceeded: 403,
  userRateLimitExceeded: 403,
  quotaExceeded: 403,
  dailyLimitExceeded: 403,
  forbidden: 403,
  backendError: 500,
  internalError: 500,
  fullSyncRequired: 410,
  deleted: 410,
  notFound: 404,
  authError: 401,
  badRequest: 400,
  duplicate: 409,
  conditionNotMet: 412,
};

const STATUS_REASON: Record<number, string> = {
  400: 'badRequest',
  401: 'authError',
  403: 'forbidden',
  404: 'notFound',
  409: 'duplicate',
  410: 'deleted',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  502: 'backendError',
  503: 'backendError',
  504: 'backendError',
};

const REASON_MESSAGE: Record<string, string> = {
  rateLimitExceeded: 'Rate Limit Exceeded',
  userRateLimitExceeded: 'User Rate Limit Exceeded',
  quotaExceeded: 'Calendar usage limits exceeded.',
  dailyLimitExceeded: 'Daily Limit Exceeded',
  forbidden: 'Forbidden',
  backendError: 'Backend Error',
  internalError: 'Internal Error',
  fullSyncRequired: 'Sync token is no longer valid, a full sync is required.',
  deleted: 'Resource has been deleted',
  notFound: 'Not Found',
  authError: 'Invalid Credentials',
  badRequest: 'Bad Request',
  duplicate: 'The requested identifier already exists.',
  conditionNotMet: 'Precondition Failed',
};

// OAuth endpoints answer with RFC 6749 error codes, not Google API reasons.
const OAUTH_STATUS_ERROR: Record<number, string> = {
  400: 'invalid_grant',
  401: 'unauthorized_client',
  429: 'rate_limit_exceeded',
  500: 'internal_failure',
  503: 'temporarily_unavailable',
};

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

export interface CallTarget {
  method: ApiMethod;
  /** The calendar as written in the URL and as resolved (`primary` → owner); both lower-case. */
  calendarIds: string[];
}

export class Faults {
  private rules: ActiveRule[] = [];

  add(rules: FaultRule[]): void {
    const checked = rules.map(validate);
    for (const rule of checked) {
      const remaining = rule.times === undefined ? 1 : rule.times === 'always' ? Infinity : rule.times;
      this.rules.push({ rule, remaining });
    }
  }

  clear(): void {
    this.rules = [];
  }

  /** First rule with calls left that matches; using it spends one of its calls. */
  take(target: CallTarget): FaultAction | undefined {
    if (this.rules.length === 0) return undefined;
    const i = this.rules.findIndex(
      ({ rule }) =>
        (rule.method === undefined || rule.method === target.method) &&
        (rule.calendarId === undefined || target.calendarIds.includes(rule.calendarId.toLowerCase())),
    );
    if (i < 0) return undefined;
    const active = this.rules[i]!;
    active.remaining -= 1;
    // Exhausted rules go so later rules for the same calls take over.
    if (active.remaining <= 0) this.rules.splice(i, 1);
    return actionFor(active.rule, target.method);
  }
}

function actionFor(rule: FaultRule, method: ApiMethod): FaultAction {
  const action: FaultAction = { delayMs: rule.delayMs ?? 0, dropConnection: rule.dropConnection === true };
  const pureDelayOrDrop = rule.status === undefined && rule.reason === undefined && (rule.delayMs !== undefined || action.dropConnection);
  if (pureDelayOrDrop) return action;
  const status = rule.status ?? (rule.reason !== undefined ? REASON_STATUS[rule.reason] : undefined) ?? 503;
  let reason: string;
  let message: string;
  let domain = 'global';
  if (method === 'token') {
    reason = rule.reason ?? OAUTH_STATUS_ERROR[status] ?? (status >= 500 ? 'internal_failure' : 'invalid_request');
    message = rule.message ?? (status === 503 ? 'The service is currently unavailable.' : 'Injected fault.');
  } else {
    reason = rule.reason ?? (status === 410 && method === 'events.list' ? 'fullSyncRequired' : (STATUS_REASON[status] ?? (status >= 500 ? 'backendError' : 'badRequest')));
    message = rule.message ?? (status === 503 ? 'The service is currently unavailable.' : (REASON_MESSAGE[reason] ?? reason));
    if (USAGE_LIMIT_REASONS.has(reason)) domain = 'usageLimits';
    // Google reports an invalid sync token in the calendar domain, pointing at the parameter.
    else if (reason === 'fullSyncRequired') domain = 'calendar';
  }
  action.error = { status, reason, message, domain };
  if (reason === 'fullSyncRequired') action.error.location = 'syncToken';
  if (rule.retryAfterSeconds !== undefined) action.error.retryAfterSeconds = rule.retryAfterSeconds;
  return action;
}

function validate(rule: FaultRule): FaultRule {
  const out: FaultRule = {};
  if (rule.method !== undefined) {
    if (!(API_METHODS as readonly string[]).includes(rule.method)) throw invalidField(`Unknown method '${String(rule.method)}'; one of ${API_METHODS.join(', ')}.`);
    out.method = rule.method;
  }
  if (rule.calendarId !== undefined) {
    if (typeof rule.calendarId !== 'string' || rule.calendarId === '') throw invalidField('calendarId must be a non-empty string.');
    out.calendarId = rule.calendarId;
  }
  if (rule.times !== undefined) {
    const t = rule.times;
    if (t !== 'always' && !(t === Infinity || (Number.isInteger(t) && t >= 1))) throw invalidField("times must be a positive integer, Infinity or 'always'.");
    out.times = t;
  }
  if (rule.status !== undefined) {
    if (!Number.isInteger(rule.status) || rule.status < 400 || rule.status > 599) throw invalidField('status must be an HTTP error status (400-599).');
    out.status = rule.status;
  }
  for (const key of ['reason', 'message'] as const) {
    const v = rule[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw invalidField(`${key} must be a non-empty string.`);
    out[key] = v;
  }
  for (const key of ['retryAfterSeconds', 'delayMs'] as const) {
    const v = rule[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidField(`${key} must be a non-negative number.`);
    out[key] = v;
  }
  if (rule.dropConnection !== undefined) {
    if (typeof rule.dropConnection !== 'boolean') throw invalidField('dropConnection must be a boolean.');
    out.dropConnection = rule.dropConnection;
  }
  return out;
}

/** Rules as JSON sends them: `times` may be `"always"`, `"Infinity"` or null (JSON has no Infinity). */
export function parseRules(raw: unknown): FaultRule[] {
  if (!Array.isArray(raw)) throw invalidField('rules must be an array of fault rules.');
  return raw.map((r: unknown) => {
    if (!isObject(r)) throw invalidField('Each fault rule must be an object.');
    const rule = { ...r } as Record<string, unknown>;
    if (rule.times === null || rule.times === 'Infinity') rule.times = 'always';
    return rule as FaultRule;
  });
}
