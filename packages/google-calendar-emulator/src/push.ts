/** Watch channels and real HTTP delivery of push notifications, with fault-injection switches. */
import { ApiError, invalidField, requiredField } from './errors.ts';
import { isObject, type JsonObject } from './event.ts';
import type { Calendar } from './store.ts';

export const MAX_CHANNEL_TTL_SECONDS = 604800;

/** Fault switches; per calendar or global. A calendar's field wins over the global one. */
export interface NotificationSwitches {
  /** Silently lose the next n notifications (their message numbers are still used up). */
  dropNext?: number;
  /** Deliver every notification twice, with the same message number. */
  duplicate?: boolean;
  /** Wait this long before the first delivery attempt. */
  delayMs?: number;
  /** Hold notifications until flushNotifications() releases them. */
  paused?: boolean;
}

export type FlushOrder = 'fifo' | 'reverse' | 'shuffle';

export interface ChannelResource {
  kind: 'api#channel';
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string;
  expiration: string;
}

export interface NotificationStats {
  sent: number;
  delivered: number;
  failedAttempts: number;
  dropped: number;
  held: number;
}

export interface PushRetryOptions {
  /** First retry after this delay, doubling each time (default 1000 ms). */
  baseDelayMs?: number;
  /** Attempts per notification before giving up (default 5). */
  maxAttempts?: number;
}

interface Channel {
  id: string;
  resourceId: string;
  resourceUri: string;
  calendarId: string;
  address: string;
  token: string | undefined;
  expirationMs: number;
  messageNumber: number;
  stopped: boolean;
}

interface Notification {
  channel: Channel;
  state: 'sync' | 'exists';
  number: number;
}

const DELIVERED = new Set([102, 200, 201, 202, 204]);
const CHANNEL_ID = /^[A-Za-z0-9\-_+/=]{1,64}$/;

export class Push {
  private channels = new Map<string, Channel>();
  /** The same channels by calendar: a change notifies its calendar's few, not a scan of 10,000. */
  private byCalendar = new Map<string, Set<Channel>>();
  private global: NotificationSwitches = {};
  private perCalendar = new Map<string, NotificationSwitches>();
  private held: Notification[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private inFlight = new Set<AbortController>();
  private waiters: (() => void)[] = [];
  private counters: Omit<NotificationStats, 'held'> = { sent: 0, delivered: 0, failedAttempts: 0, dropped: 0 };
  private closed = false;
  private readonly baseDelayMs: number;
  private readonly maxAttempts: number;

  constructor(private readonly opts: { now: () => number; retry?: PushRetryOptions | undefined }) {
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 1000;
    this.maxAttempts = opts.retry?.maxAttempts ?? 5;
  }

  watch(cal: Calendar, body: JsonObject): ChannelResource {
    const { id, type, address, token, params } = body;
    if (id === undefined || id === null || id === '') throw requiredField('Required channel id.');
    if (typeof id !== 'string' || !CHANNEL_ID.test(id)) throw invalidField(`Invalid channel id ${String(id)}.`);
    if (type !== 'web_hook' && type !== 'webhook') throw invalidField(`Invalid channel type ${String(type)}.`);
    if (typeof address !== 'string' || !/^https?:\/\//.test(address) || !URL.canParse(address)) {
      throw invalidField(`Invalid channel address ${String(address)}.`);
    }
    if (token !== undefined && (typeof token !== 'string' || token.length > 256)) throw invalidField('Invalid channel token.');
    if (this.channels.has(id)) throw new ApiError(400, 'channelIdNotUnique', `Channel id ${id} not unique`);
    const ttlSeconds = parseTtl(params);
    const channel: Channel = {
      id,
      resourceId: cal.resourceId,
      resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`,
      calendarId: cal.id,
      address,
      token,
      expirationMs: this.opts.now() + ttlSeconds * 1000,
      messageNumber: 1,
      stopped: false,
    };
    this.channels.set(id, channel);
    let ofCalendar = this.byCalendar.get(channel.calendarId);
    if (!ofCalendar) {
      ofCalendar = new Set();
      this.byCalendar.set(channel.calendarId, ofCalendar);
    }
    ofCalendar.add(channel);
    // Google confirms a new channel with a `sync` message before any change is reported.
    this.route({ channel, state: 'sync', number: 1 }, { bypassFaults: true });
    const out: ChannelResource = {
      kind: 'api#channel',
      id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
      expiration: String(channel.expirationMs),
    };
    if (token !== undefined) out.token = token;
    return out;
  }

  stop(body: JsonObject): void {
    const channel = typeof body.id === 'string' ? this.channels.get(body.id) : undefined;
    if (!channel || channel.resourceId !== body.resourceId) {
      throw new ApiError(404, 'notFound', `Channel '${String(body.id)}' not found for project`);
    }
    channel.stopped = true;
    this.channels.delete(channel.id);
    const ofCalendar = this.byCalendar.get(channel.calendarId);
    ofCalendar?.delete(channel);
    if (ofCalendar?.size === 0) this.byCalendar.delete(channel.calendarId);
  }

  /** Every active, unexpired channel of the calendar hears about the change. */
  changed(calendarId: string): void {
    const now = this.opts.now();
    for (const channel of this.byCalendar.get(calendarId) ?? []) {
      if (channel.expirationMs <= now) continue;
      channel.messageNumber += 1;
      this.route({ channel, state: 'exists', number: channel.messageNumber }, { bypassFaults: false });
    }
  }

  configure(switches: NotificationSwitches, calendarId?: string): void {
    if (calendarId === undefined) this.global = { ...this.global, ...switches };
    else {
      const key = calendarId.toLowerCase();
      this.perCalendar.set(key, { ...this.perCalendar.get(key), ...switches });
    }
  }

  /** Releases held notifications (all, or one calendar's), optionally out of order. */
  flush(opts: { calendarId?: string; order?: FlushOrder } = {}): number {
    const key = opts.calendarId?.toLowerCase();
    const release = this.held.filter((n) => key === undefined || n.channel.calendarId === key);
    this.held = this.held.filter((n) => !release.includes(n));
    if (opts.order === 'reverse') release.reverse();
    if (opts.order === 'shuffle') {
      for (let i = release.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [release[i], release[j]] = [release[j]!, release[i]!];
      }
    }
    for (const n of release) this.route(n, { bypassFaults: false, released: true });
    return release.length;
  }

  stats(): NotificationStats {
    return { ...this.counters, held: this.held.length };
  }

  /** Resolves once no delivery is waiting on a timer or the network (held ones do not count). */
  idle(): Promise<void> {
    if (this.busy() === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  reset(): void {
    for (const c of this.channels.values()) c.stopped = true;
    this.channels.clear();
    this.byCalendar.clear();
    this.held = [];
    this.global = {};
    this.perCalendar.clear();
    this.counters = { sent: 0, delivered: 0, failedAttempts: 0, dropped: 0 };
  }

  /** Cancels timers and in-flight requests so that nothing keeps the process alive. */
  dispose(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
    this.held = [];
    this.settle();
  }

  private switchesFor(calendarId: string): NotificationSwitches {
    return { ...this.global, ...this.perCalendar.get(calendarId) };
  }

  private route(n: Notification, how: { bypassFaults: boolean; released?: boolean }): void {
    if (this.closed) return;
    const sw = how.bypassFaults ? {} : this.switchesFor(n.channel.calendarId);
    if (!how.released) {
      if (this.takeDrop(n.channel.calendarId, how.bypassFaults)) {
        this.counters.dropped += 1;
        return;
      }
      if (sw.paused) {
        this.held.push(n);
        return;
      }
    }
    const copies = sw.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (sw.delayMs !== undefined && sw.delayMs > 0) this.later(() => this.send(n, 1), sw.delayMs);
      else void this.send(n, 1);
    }
  }

  private takeDrop(calendarId: string, bypass: boolean): boolean {
    if (bypass) return false;
    const cal = this.perCalendar.get(calendarId);
    for (const sw of [cal, this.global]) {
      if (sw?.dropNext !== undefined && sw.dropNext > 0) {
        sw.dropNext -= 1;
        return true;
      }
    }
    return false;
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
      this.settle();
    }, ms);
    this.timers.add(t);
  }

  private async send(n: Notification, attempt: number): Promise<void> {
    if (this.closed || n.channel.stopped) return;
    const { channel } = n;
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Channel-Expiration': new Date(channel.expirationMs).toUTCString(),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-URI': channel.resourceUri,
      'X-Goog-Resource-State': n.state,
      'X-Goog-Message-Number': String(n.number),
      'User-Agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
    };
    if (channel.token !== undefined) headers['X-Goog-Channel-Token'] = channel.token;
    const abort = new AbortController();
    this.inFlight.add(abort);
    this.counters.sent += 1;
    let ok: boolean;
    try {
      const res = await fetch(channel.address, {
        method: 'POST',
        headers,
        body: '',
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(15000)]),
      });
      await res.body?.cancel();
      ok = DELIVERED.has(res.status);
    } catch {
      ok = false;
    } finally {
      this.inFlight.delete(abort);
    }
    if (ok) this.counters.delivered += 1;
    else if (!this.closed) {
      this.counters.failedAttempts += 1;
      // Google retries failed deliveries with exponential backoff and eventually gives up.
      if (attempt < this.maxAttempts) this.later(() => void this.send(n, attempt + 1), this.baseDelayMs * 2 ** (attempt - 1));
    }
    this.settle();
  }

  private busy(): number {
    return this.timers.size + this.inFlight.size;
  }

  private settle(): void {
    if (this.busy() !== 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function parseTtl(params: unknown): number {
  if (params === undefined || params === null) return MAX_CHANNEL_TTL_SECONDS;
  if (!isObject(params)) throw invalidField('Invalid channel params.');
  const ttl = params.ttl;
  if (ttl === undefined) return MAX_CHANNEL_TTL_SECONDS;
  const seconds = typeof ttl === 'number' ? ttl : typeof ttl === 'string' && /^\d+$/.test(ttl) ? Number(ttl) : NaN;
  if (!Number.isInteger(seconds) || seconds <= 0) throw invalidField(`Invalid ttl value ${String(ttl)}.`);
  return Math.min(seconds, MAX_CHANNEL_TTL_SECONDS);
}
