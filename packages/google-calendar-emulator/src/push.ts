/** Watch channels and real HTTP delivery of push notifications, with fault-injection switches. */
import http from 'node:http';
import https from 'node:https';
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

/**
 * Deliveries go over keep-alive connections, at most this many at once per receiver: a storm of
 * 100,000 changes queues at the sender instead of opening a socket per notification, which no
 * real sender does and which exhausts the receiver's (and this machine's) sockets. What waits is
 * sent round robin across channels, so one calendar's storm does not hold up another
 * calendar's lone notification (a modelling choice: Google's delivery is per channel and its
 * queueing is not documented).
 */
export const PUSH_CONNECTIONS_PER_RECEIVER = 64;
const DELIVERY_TIMEOUT_MS = 15_000;

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

/** Deliveries waiting for a connection to one receiver, one queue per channel, served round robin. */
interface Receiver {
  inFlight: number;
  ready: ChannelQueue[];
  queues: Map<string, ChannelQueue>;
}

interface ChannelQueue {
  channelId: string;
  waiting: Array<{ n: Notification; attempt: number }>;
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
  private inFlight = new Set<http.ClientRequest>();
  private receivers = new Map<string, Receiver>();
  /** Deliveries waiting in the receivers' queues. */
  private queued = 0;
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: PUSH_CONNECTIONS_PER_RECEIVER }),
    https: new https.Agent({ keepAlive: true, maxSockets: PUSH_CONNECTIONS_PER_RECEIVER }),
  };
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
    for (const r of this.inFlight) r.destroy();
    this.inFlight.clear();
    this.receivers.clear();
    this.queued = 0;
    this.agents.http.destroy();
    this.agents.https.destroy();
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
      else this.send(n, 1);
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

  /** Queues a delivery at its receiver; it goes out when its channel's turn and a connection come. */
  private send(n: Notification, attempt: number): void {
    if (this.closed || n.channel.stopped) return;
    const key = receiverKey(n.channel.address);
    let receiver = this.receivers.get(key);
    if (!receiver) {
      receiver = { inFlight: 0, ready: [], queues: new Map() };
      this.receivers.set(key, receiver);
    }
    let queue = receiver.queues.get(n.channel.id);
    if (!queue) {
      queue = { channelId: n.channel.id, waiting: [] };
      receiver.queues.set(n.channel.id, queue);
      receiver.ready.push(queue);
    }
    queue.waiting.push({ n, attempt });
    this.queued += 1;
    this.pump(receiver);
  }

  private pump(receiver: Receiver): void {
    while (receiver.inFlight < PUSH_CONNECTIONS_PER_RECEIVER && receiver.ready.length > 0) {
      const queue = receiver.ready.shift() as ChannelQueue;
      const next = queue.waiting.shift();
      if (queue.waiting.length > 0) receiver.ready.push(queue);
      else receiver.queues.delete(queue.channelId);
      if (!next) continue;
      this.queued -= 1;
      receiver.inFlight += 1;
      void this.deliver(next.n, next.attempt).finally(() => {
        receiver.inFlight -= 1;
        this.pump(receiver);
        this.settle();
      });
    }
  }

  private async deliver(n: Notification, attempt: number): Promise<void> {
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
    this.counters.sent += 1;
    const ok = await this.post(channel.address, headers);
    if (ok) this.counters.delivered += 1;
    else if (!this.closed) {
      this.counters.failedAttempts += 1;
      // Google retries failed deliveries with exponential backoff and eventually gives up.
      if (attempt < this.maxAttempts) this.later(() => this.send(n, attempt + 1), this.baseDelayMs * 2 ** (attempt - 1));
    }
    this.settle();
  }

  /** One POST with an empty body; true when the receiver answered with a delivered status. */
  private post(address: string, headers: Record<string, string>): Promise<boolean> {
    return new Promise((resolve) => {
      const url = new URL(address);
      const secure = url.protocol === 'https:';
      let settled = false;
      let status = 0;
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(req);
        resolve(ok);
      };
      const req = (secure ? https : http).request(
        url,
        { method: 'POST', headers: { ...headers, 'Content-Length': '0' }, agent: secure ? this.agents.https : this.agents.http, timeout: DELIVERY_TIMEOUT_MS },
        (res) => {
          status = res.statusCode ?? 0;
          // Drained, so the connection goes back to the pool.
          res.resume();
          res.on('end', () => done(DELIVERED.has(status)));
          res.on('error', () => done(false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('push delivery timed out')));
      req.on('error', () => done(false));
      // After an answer 'close' may come first; the status decides.
      req.on('close', () => done(DELIVERED.has(status)));
      this.inFlight.add(req);
      req.end();
    });
  }

  private busy(): number {
    return this.timers.size + this.inFlight.size + this.queued;
  }

  private settle(): void {
    if (this.busy() !== 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Deliveries share connections per receiving host. */
function receiverKey(address: string): string {
  try {
    return new URL(address).origin;
  } catch {
    return address;
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
