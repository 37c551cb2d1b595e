import { randomUUID } from 'node:crypto';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import type { JWT } from 'google-auth-library';
import { createServiceAccountAuth } from './auth.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, type GatewayObserver, type GoogleGatewayConfig } from './config.ts';
import { classifyGoogleError, GoogleApiError } from './errors.ts';
import { DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limiter.ts';
import { DEFAULT_RETRY_POLICY, nextDelay, type RetryPolicy } from './retry.ts';
import type { GoogleEvent } from './event.ts';

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
}

export interface WatchChannel {
  channelId: string;
  resourceId: string;
  expiration: Date;
}

/**
 * The only module that talks to Google Calendar. It knows nothing of our database or API;
 * every failure leaves here as a classified GoogleApiError.
 */
export class GoogleCalendarGateway {
  readonly auth: JWT;
  private readonly api: calendar_v3.Calendar;
  private readonly retry: RetryPolicy;
  private readonly limiter: RateLimiter;
  private readonly observer: GatewayObserver | undefined;

  constructor(config: GoogleGatewayConfig) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...config.retry };
    this.limiter = new RateLimiter({ ...DEFAULT_RATE_LIMIT, ...config.rateLimit });
    this.observer = config.observer;
    this.auth = createServiceAccountAuth(config);
    const base = config.apiBaseUrl?.replace(/\/+$/, '');
    this.api = calendar({
      version: 'v3',
      auth: this.auth,
      ...(base ? { rootUrl: `${base}/` } : {}),
      // Retries are decided by our own policy, not by the library's (which ignores Retry-After).
      retry: false,
      timeout: config.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
  }

  /** Obtains (or reuses) an access token: proves the credentials work without touching data. */
  async checkAccess(): Promise<void> {
    await this.call('token', () => this.auth.getAccessToken());
  }

  insertEvent(calendarId: string, body: GoogleEvent, opts: InsertEventOptions): Promise<GoogleEvent> {
    const requestBody: GoogleEvent = { ...body, id: opts.id };
    if (opts.createMeetLink) {
      requestBody.conferenceData = {
        createRequest: { requestId: opts.id, conferenceSolutionKey: { type: 'hangoutsMeet' } },
      };
    }
    return this.call('events.insert', async () => {
      const res = await this.api.events.insert({
        calendarId,
        conferenceDataVersion: 1,
        sendUpdates: opts.sendUpdates ?? 'all',
        requestBody,
      });
      return res.data;
    });
  }

  getEvent(calendarId: string, eventId: string): Promise<GoogleEvent> {
    return this.call('events.get', async () => (await this.api.events.get({ calendarId, eventId })).data);
  }

  patchEvent(calendarId: string, eventId: string, patch: GoogleEvent, opts: { ifMatch?: string | undefined } = {}): Promise<GoogleEvent> {
    return this.call('events.patch', async () => {
      const res = await this.api.events.patch(
        { calendarId, eventId, sendUpdates: 'all', conferenceDataVersion: 1, requestBody: patch },
        opts.ifMatch ? { headers: { 'If-Match': opts.ifMatch } } : {},
      );
      return res.data;
    });
  }

  deleteEvent(calendarId: string, eventId: string): Promise<void> {
    return this.call('events.delete', async () => {
      await this.api.events.delete({ calendarId, eventId, sendUpdates: 'all' });
    });
  }

  listEvents(calendarId: string, opts: ListEventsOptions): Promise<ListEventsPage> {
    return this.call('events.list', async () => {
      const res = await this.api.events.list({
        calendarId,
        maxResults: opts.maxResults ?? 2500,
        ...(opts.syncToken ? { syncToken: opts.syncToken } : { showDeleted: opts.showDeleted ?? false }),
        ...(opts.pageToken ? { pageToken: opts.pageToken } : {}),
      });
      return {
        items: res.data.items ?? [],
        nextPageToken: res.data.nextPageToken ?? null,
        nextSyncToken: res.data.nextSyncToken ?? null,
      };
    });
  }

  watchEvents(calendarId: string, opts: { address: string; token: string; ttlSeconds: number; channelId?: string }): Promise<WatchChannel> {
    const channelId = opts.channelId ?? randomUUID();
    return this.call('events.watch', async () => {
      const res = await this.api.events.watch({
        calendarId,
        requestBody: { id: channelId, type: 'web_hook', address: opts.address, token: opts.token, params: { ttl: String(opts.ttlSeconds) } },
      });
      if (!res.data.resourceId || !res.data.expiration) {
        throw new GoogleApiError('invalid', 'Google answered the watch request without resourceId/expiration.', { operation: 'events.watch' });
      }
      return { channelId, resourceId: res.data.resourceId, expiration: new Date(Number(res.data.expiration)) };
    });
  }

  stopChannel(channelId: string, resourceId: string): Promise<void> {
    return this.call('channels.stop', async () => {
      await this.api.channels.stop({ requestBody: { id: channelId, resourceId } });
    });
  }

  /**
   * Every call goes through here: the per-process rate cap, classification of failures, and the
   * one retry policy (full-jitter backoff, Retry-After honoured, bounded attempts and time).
   * Inserts are safe to retry because their event id is chosen by us (a repeat meets 409).
   */
  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const result = await this.limiter.run(fn);
        this.observer?.onCall({ operation, outcome: 'success', status: undefined, durationMs: performance.now() - t0, attempt, retryInMs: undefined });
        return result;
      } catch (raw) {
        const err = classifyGoogleError(raw, operation);
        const delay = nextDelay(err, attempt, Date.now() - started, this.retry);
        this.observer?.onCall({ operation, outcome: err.kind, status: err.status, durationMs: performance.now() - t0, attempt, retryInMs: delay ?? undefined });
        if (delay === null) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
