import { randomUUID } from 'node:crypto';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { AccessTokens } from './auth.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, type GatewayObserver, type GoogleGatewayConfig } from './config.ts';
import { classifyGoogleError, GoogleApiError } from './errors.ts';
import type { GoogleEvent } from './event.ts';
import { DEFAULT_QUOTA_LIMITS, QuotaLimiter } from './quota.ts';
import { DEFAULT_RETRY_POLICY, nextDelay, type RetryPolicy } from './retry.ts';

/**
 * Whose Google calendar a call is about: the calendar, and the Workspace user the service
 * account acts as for it (domain-wide delegation; undefined: the service account itself).
 */
export interface CalendarRef {
  calendarId: string;
  subject: string | undefined;
}

export interface InsertEventOptions {
  /** Client-chosen id (base32hex): makes the insert idempotent (a repeat gets 409). */
  id: string;
  createMeetLink: boolean;
  sendUpdates?: 'all' | 'externalOnly' | 'none';
}

export interface ListEventsPage {
  items: GoogleEvent[];
  nextPageToken: string | null;
  nextSyncToken: string | null;
}

export interface ListEventsOptions {
  syncToken?: string | undefined;
  pageToken?: string | undefined;
  maxResults?: number | undefined;
  showDeleted?: boolean | undefined;
  /**
   * Recurring series expanded into their occurrences (and no series themselves). Incremental
   * listings must ask the same as the full listing their sync token came from.
   */
  singleEvents?: boolean | undefined;
}

export interface ListInstancesOptions {
  timeMin?: Date | undefined;
  timeMax?: Date | undefined;
  pageToken?: string | undefined;
  maxResults?: number | undefined;
  showDeleted?: boolean | undefined;
}

export interface WatchChannel {
  channelId: string;
  resourceId: string;
  expiration: Date;
}

/**
 * The only module that talks to Google Calendar. It knows nothing of our database or API;
 * every failure leaves here as a classified GoogleApiError. Every call names the calendar and the
 * user it acts as; tokens are kept per user, and Google's per-user and per-project quotas are
 * the gateway's own limits (QuotaLimiter).
 */
export class GoogleCalendarGateway {
  private readonly api: calendar_v3.Calendar;
  private readonly tokens: AccessTokens;
  private readonly retry: RetryPolicy;
  private readonly limiter: QuotaLimiter;
  private readonly observer: GatewayObserver | undefined;
  private readonly serviceAccount: string;
  private closed = false;

  constructor(config: GoogleGatewayConfig) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...config.retry };
    this.limiter = new QuotaLimiter({ ...DEFAULT_QUOTA_LIMITS, ...config.quota });
    this.observer = config.observer;
    this.serviceAccount = config.credentials.client_email;
    this.tokens = new AccessTokens(config);
    const base = config.apiBaseUrl?.replace(/\/+$/, '');
    this.api = calendar({
      version: 'v3',
      ...(base ? { rootUrl: `${base}/` } : {}),
      // Retries are decided by our own policy, not by the library's (which ignores Retry-After).
      retry: false,
      timeout: config.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
  }

  /**
   * Obtains (or reuses) an access token for `subject`: proves the credentials, and domain-wide
   * delegation for that user, work without touching data.
   */
  async checkAccess(subject: string | undefined): Promise<void> {
    await this.call('token', subject, () => this.tokens.get(subject), { counted: false });
  }

  /**
   * Shutting down: calls waiting for their turn under the quotas fail now as `unavailable`, and
   * no call is retried or started any more. Calls already at Google finish.
   */
  close(): void {
    this.closed = true;
    this.limiter.close(new GoogleApiError('unavailable', 'The server is shutting down: the call to Google was not made; retry it.'));
  }

  /** Forgets the quota counts of users without a call in the last minute (a process at rest). */
  forgetIdleUsers(): void {
    this.limiter.forgetIdle();
  }

  /** Calls waiting for their turn under the quotas (a gauge for metrics). */
  get queuedCalls(): number {
    return this.limiter.waiting;
  }

  insertEvent(ref: CalendarRef, body: GoogleEvent, opts: InsertEventOptions): Promise<GoogleEvent> {
    const requestBody: GoogleEvent = { ...body, id: opts.id };
    if (opts.createMeetLink) {
      requestBody.conferenceData = {
        createRequest: { requestId: opts.id, conferenceSolutionKey: { type: 'hangoutsMeet' } },
      };
    }
    return this.call('events.insert', ref.subject, async (headers) => {
      const res = await this.api.events.insert(
        { calendarId: ref.calendarId, conferenceDataVersion: 1, sendUpdates: opts.sendUpdates ?? 'all', requestBody },
        { headers },
      );
      return res.data;
    });
  }

  getEvent(ref: CalendarRef, eventId: string): Promise<GoogleEvent> {
    return this.call('events.get', ref.subject, async (headers) => (await this.api.events.get({ calendarId: ref.calendarId, eventId }, { headers })).data);
  }

  patchEvent(ref: CalendarRef, eventId: string, patch: GoogleEvent, opts: { ifMatch?: string | undefined } = {}): Promise<GoogleEvent> {
    return this.call('events.patch', ref.subject, async (headers) => {
      const res = await this.api.events.patch(
        { calendarId: ref.calendarId, eventId, sendUpdates: 'all', conferenceDataVersion: 1, requestBody: patch },
        { headers: opts.ifMatch ? { ...headers, 'If-Match': opts.ifMatch } : headers },
      );
      return res.data;
    });
  }

  deleteEvent(ref: CalendarRef, eventId: string): Promise<void> {
    return this.call('events.delete', ref.subject, async (headers) => {
      await this.api.events.delete({ calendarId: ref.calendarId, eventId, sendUpdates: 'all' }, { headers });
    });
  }

  listEvents(ref: CalendarRef, opts: ListEventsOptions): Promise<ListEventsPage> {
    return this.call('events.list', ref.subject, async (headers) => {
      const res = await this.api.events.list(
        {
          calendarId: ref.calendarId,
          maxResults: opts.maxResults ?? 2500,
          ...(opts.singleEvents ? { singleEvents: true } : {}),
          ...(opts.syncToken ? { syncToken: opts.syncToken } : { showDeleted: opts.showDeleted ?? false }),
          ...(opts.pageToken ? { pageToken: opts.pageToken } : {}),
        },
        { headers },
      );
      return {
        items: res.data.items ?? [],
        nextPageToken: res.data.nextPageToken ?? null,
        nextSyncToken: res.data.nextSyncToken ?? null,
      };
    });
  }

  /** The occurrences of a recurring series (events.instances), one page. */
  listInstances(ref: CalendarRef, seriesId: string, opts: ListInstancesOptions = {}): Promise<{ items: GoogleEvent[]; nextPageToken: string | null }> {
    return this.call('events.instances', ref.subject, async (headers) => {
      const res = await this.api.events.instances(
        {
          calendarId: ref.calendarId,
          eventId: seriesId,
          maxResults: opts.maxResults ?? 2500,
          showDeleted: opts.showDeleted ?? false,
          ...(opts.timeMin ? { timeMin: opts.timeMin.toISOString() } : {}),
          ...(opts.timeMax ? { timeMax: opts.timeMax.toISOString() } : {}),
          ...(opts.pageToken ? { pageToken: opts.pageToken } : {}),
        },
        { headers },
      );
      return { items: res.data.items ?? [], nextPageToken: res.data.nextPageToken ?? null };
    });
  }

  watchEvents(ref: CalendarRef, opts: { address: string; token: string; ttlSeconds: number; channelId?: string }): Promise<WatchChannel> {
    const channelId = opts.channelId ?? randomUUID();
    return this.call('events.watch', ref.subject, async (headers) => {
      const res = await this.api.events.watch(
        {
          calendarId: ref.calendarId,
          requestBody: { id: channelId, type: 'web_hook', address: opts.address, token: opts.token, params: { ttl: String(opts.ttlSeconds) } },
        },
        { headers },
      );
      if (!res.data.resourceId || !res.data.expiration) {
        throw new GoogleApiError('invalid', 'Google answered the watch request without resourceId/expiration.', { operation: 'events.watch' });
      }
      return { channelId, resourceId: res.data.resourceId, expiration: new Date(Number(res.data.expiration)) };
    });
  }

  /** Stops a channel; as the user who opened it (Google requires the same principal). */
  stopChannel(subject: string | undefined, channelId: string, resourceId: string): Promise<void> {
    return this.call('channels.stop', subject, async (headers) => {
      await this.api.channels.stop({ requestBody: { id: channelId, resourceId } }, { headers });
    });
  }

  /**
   * Every call goes through here: the user's access token, the quotas (the user's turn, fairly
   * among users), classification of failures, and the one retry policy (full-jitter backoff,
   * Retry-After honoured, bounded attempts and time). A quota refusal holds that user's calls
   * (and for a project-wide one, everyone's) before the retry. Inserts are safe to retry because
   * their event id is chosen by us (a repeat meets 409).
   */
  private async call<T>(
    operation: string,
    subject: string | undefined,
    fn: (headers: Record<string, string>) => Promise<T>,
    opts: { counted?: boolean } = {},
  ): Promise<T> {
    const quotaUser = subject ?? this.serviceAccount;
    const started = Date.now();
    let tokenRenewed = false;
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const run = async () => fn({ Authorization: `Bearer ${await this.tokens.get(subject)}` });
        // Token calls are not Calendar API requests: they count against no Calendar quota.
        const result = opts.counted === false ? await run() : await this.limiter.run(quotaUser, run);
        this.observer?.onCall({ operation, outcome: 'success', status: undefined, durationMs: performance.now() - t0, attempt, retryInMs: undefined });
        return result;
      } catch (raw) {
        const err = classifyGoogleError(raw, operation);
        let delay = nextDelay(err, attempt, Date.now() - started, this.retry);
        if (err.kind === 'auth' && err.status === 401 && operation !== 'token' && !tokenRenewed) {
          // The access token was refused (revoked, or expired early): one more try with a new one.
          this.tokens.forget(subject);
          tokenRenewed = true;
          delay = 0;
        }
        if (err.kind === 'rate_limited' && delay !== null) {
          this.limiter.hold(quotaUser, delay);
          // Only userRateLimitExceeded names the user alone; 429 and rateLimitExceeded may be the project's.
          if (err.reason !== 'userRateLimitExceeded') this.limiter.hold(undefined, delay);
        }
        this.observer?.onCall({ operation, outcome: err.kind, status: err.status, durationMs: performance.now() - t0, attempt, retryInMs: delay ?? undefined });
        if (delay === null || this.closed) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
