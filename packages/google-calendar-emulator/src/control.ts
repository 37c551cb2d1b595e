/** The test/benchmark back door: state inspection, "a person did it in Google's UI", fault switches. */
import express, { type Router } from 'express';
import type { Directory, DomainSnapshot } from './directory.ts';
import { invalidField } from './errors.ts';
import { isObject, renderEvent, type EventResource, type JsonObject } from './event.ts';
import { parseRules, type FaultRule, type Faults } from './faults.ts';
import type { Gate } from './gate.ts';
import type { Lister } from './list.ts';
import type { FlushOrder, NotificationStats, NotificationSwitches, Push } from './push.ts';
import type { QuotaOptions, QuotaSettings, QuotaStats, Quotas } from './quota.ts';
import type { ApiStats, ConcurrencyStat, Stats } from './stats.ts';
import { instanceId, seriesRule } from './instances.ts';
import type { Actor, Store } from './store.ts';
import { parseDate, parseRfc3339 } from './time.ts';

/** A partial Google event resource, as a client would send it. */
export type EventInput = Partial<EventResource>;

export interface SeedResult {
  inserted: number;
  ids: string[];
}

export interface EmulatorControl {
  /**
   * Drops events, calendars, channels, sync and page tokens, stats, quota counts, switches and fault
   * rules, and puts latency and quota settings back to the start options. Calls waiting on a delay
   * are dropped unanswered; the clock is back where advanceClock found it. Service accounts, access tokens and domains stay: a client library
   * caches its token for an hour and would not recover.
   */
  reset(): void;
  /** Raw state, cancelled events included, as full resources (viewed by the calendar owner). */
  listEvents(calendarId: string): EventResource[];
  createEvent(calendarId: string, event: EventInput): EventResource;
  editEvent(calendarId: string, eventId: string, patch: EventInput): EventResource;
  deleteEvent(calendarId: string, eventId: string): void;
  /**
   * One occurrence of a series, named by its original start (RFC3339, or YYYY-MM-DD for all-day):
   * editing makes it a modified occurrence ("this event" in Google Calendar).
   */
  editInstance(calendarId: string, seriesId: string, originalStart: string, patch: EventInput): EventResource;
  /** Deletes one occurrence: it becomes a cancelled occurrence of the live series. */
  cancelInstance(calendarId: string, seriesId: string, originalStart: string): void;
  /**
   * "This and following events": the series ends before the occurrence at `fromOriginalStart`, which
   * starts a new series (id `<seriesId>_R<stamp>`) with `patch` applied. Modified occurrences from
   * there on are dropped, as Google Calendar warns. Returns both series.
   */
  splitSeries(calendarId: string, seriesId: string, fromOriginalStart: string, patch?: EventInput): { series: EventResource; following: EventResource };
  /**
   * Moves the emulator's clock on (created/updated stamps, the recurrence horizon, channel and
   * sync-token expiry, quota windows). Access tokens already issued move along and stay valid.
   */
  advanceClock(ms: number): void;
  /** Bulk insert without notifications: a count generates 30-minute events every 15 minutes from now. */
  seedEvents(calendarId: string, events: number | EventInput[]): SeedResult;
  stats(): ApiStats;
  resetStats(): void;
  expireSyncTokens(calendarId: string): void;
  /** Merges switches into the calendar's (or, without calendarId, the global) settings. */
  configureNotifications(switches: NotificationSwitches, calendarId?: string): void;
  /** Releases held (paused) notifications; returns how many were released. */
  flushNotifications(opts?: { calendarId?: string; order?: FlushOrder }): number;
  notificationStats(): NotificationStats;
  /** Resolves when no notification is waiting for a timer or an HTTP answer. */
  notificationsIdle(): Promise<void>;
  shareCalendar(calendarId: string, principalEmail: string): void;
  /** Appends fault rules; a call gets the first matching rule that has calls left. */
  injectFaults(rules: FaultRule[]): void;
  clearFaults(): void;
  /**
   * Per `${method} ${calendarId}` (`primary` resolved to its owner; the bare method for `token` and
   * `channels.stop`): calls in flight now and the most at once since the last reset/resetStats.
   */
  concurrency(): Record<string, ConcurrencyStat>;
  /** Changes the latency added to every call (the `latencyMs` option) until the next reset. */
  setLatency(ms: number): void;
  /**
   * Declares a Workspace domain, or adds users to a declared one. From then on only its active
   * users can be delegated to (anyone else in it: invalid_grant). Addresses in undeclared domains
   * stay "any address is a user".
   */
  addDomain(domain: string, opts?: { users?: string[] }): void;
  /** Forgets the domain and revokes its users' tokens; its addresses become undeclared again. */
  removeDomain(domain: string): void;
  /** Adds an active user to its (declared) domain. */
  addUser(email: string): void;
  /** The user can no longer be delegated to (invalid_grant) and their tokens stop working (401). */
  suspendUser(email: string): void;
  reactivateUser(email: string): void;
  /** Like suspendUser, and the address becomes unknown. Their calendar's data stays in the emulator. */
  removeUser(email: string): void;
  domains(): DomainSnapshot[];
  /** Merges quota settings (the `quotas` option) until the next reset; returns the settings now in force. */
  configureQuotas(options: QuotaOptions): QuotaSettings;
  /** API requests per project and per user in it: current window, served and refused since the last reset. */
  quotaStats(): QuotaStats;
  /** Quota counts and windows start over (a fresh minute for everyone); settings stay. */
  resetQuotaStats(): void;
}

export interface ControlDeps {
  store: Store;
  lister: Lister;
  push: Push;
  stats: Stats;
  faults: Faults;
  gate: Gate;
  /** The `latencyMs` option, restored by reset. */
  latencyMs: number;
  now: () => number;
  directory: Directory;
  quotas: Quotas;
  clock: { advance(ms: number): void; reset(): void };
}

const SEED_SPACING_MS = 15 * 60 * 1000;
const SEED_DURATION_MS = 30 * 60 * 1000;

export function createControl(deps: ControlDeps): EmulatorControl {
  const { store, lister, push, stats, faults, gate, directory, quotas } = deps;
  const owner = (calendarId: string): Actor => ({ principal: calendarId.toLowerCase(), serviceAccount: false });
  // A person in the UI always has Meet available, like conferenceDataVersion=1.
  const ui = { conferenceDataVersion: 1 };
  return {
    reset() {
      store.reset();
      lister.reset();
      push.reset();
      stats.reset();
      faults.clear();
      quotas.reset();
      gate.cancelDelays();
      gate.latencyMs = deps.latencyMs;
      deps.clock.reset();
    },
    listEvents(calendarId) {
      const cal = store.calendar(calendarId);
      return [...cal.events.values()].map((ev) => renderEvent(ev, cal.id));
    },
    createEvent(calendarId, event) {
      return renderEvent(store.insert(calendarId, event, owner(calendarId), ui), calendarId.toLowerCase());
    },
    editEvent(calendarId, eventId, patch) {
      return renderEvent(store.patch(calendarId, eventId, patch, owner(calendarId), ui), calendarId.toLowerCase());
    },
    deleteEvent(calendarId, eventId) {
      store.remove(calendarId, eventId, {});
    },
    editInstance(calendarId, seriesId, originalStart, patch) {
      const id = occurrenceId(store, calendarId, seriesId, originalStart);
      return renderEvent(store.patch(calendarId, id, patch, owner(calendarId), ui), calendarId.toLowerCase());
    },
    cancelInstance(calendarId, seriesId, originalStart) {
      store.remove(calendarId, occurrenceId(store, calendarId, seriesId, originalStart), {});
    },
    splitSeries(calendarId, seriesId, fromOriginalStart, patch = {}) {
      const { series, following } = store.split(calendarId, seriesId, originalStartMs(fromOriginalStart), patch);
      const viewer = calendarId.toLowerCase();
      return { series: renderEvent(series, viewer), following: renderEvent(following, viewer) };
    },
    advanceClock(ms) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw invalidField('ms must be a non-negative number.');
      deps.clock.advance(ms);
    },
    seedEvents(calendarId, events) {
      const inputs = typeof events === 'number' ? generated(events, deps.now()) : events;
      const ids = store.seed(calendarId, inputs);
      return { inserted: ids.length, ids };
    },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    expireSyncTokens(calendarId) {
      store.calendar(calendarId).tokenGeneration += 1;
    },
    configureNotifications: (switches, calendarId) => push.configure(switches, calendarId),
    flushNotifications: (opts) => push.flush(opts),
    notificationStats: () => push.stats(),
    notificationsIdle: () => push.idle(),
    shareCalendar(calendarId, principalEmail) {
      store.calendar(calendarId).sharedWith.add(principalEmail.toLowerCase());
    },
    injectFaults: (rules) => faults.add(rules),
    clearFaults: () => faults.clear(),
    concurrency: () => stats.concurrency(),
    setLatency(ms) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw invalidField('latencyMs must be a non-negative number.');
      gate.latencyMs = ms;
    },
    addDomain(domain, opts = {}) {
      if (opts.users !== undefined && !Array.isArray(opts.users)) throw invalidField('users must be a list of addresses.');
      directory.addDomain(domain, opts.users);
    },
    removeDomain: (domain) => directory.removeDomain(domain),
    addUser: (email) => directory.addUser(email),
    suspendUser: (email) => directory.suspendUser(email),
    reactivateUser: (email) => directory.reactivateUser(email),
    removeUser: (email) => directory.removeUser(email),
    domains: () => directory.snapshot(),
    configureQuotas: (options) => quotas.configure(options),
    quotaStats: () => quotas.stats(),
    resetQuotaStats: () => quotas.resetStats(),
  };
}

function originalStartMs(value: string): number {
  const ms = typeof value === 'string' ? (parseRfc3339(value) ?? parseDate(value)) : undefined;
  if (ms === undefined) throw invalidField('originalStart must be an RFC3339 timestamp or, for all-day series, a date.');
  return ms;
}

function occurrenceId(store: Store, calendarId: string, seriesId: string, originalStart: string): string {
  const rule = seriesRule(store.get(calendarId, seriesId));
  if (!rule) throw invalidField(`${seriesId} is not a recurring event.`);
  return instanceId(seriesId, originalStartMs(originalStart), rule.allDay);
}

function generated(n: number, nowMs: number): JsonObject[] {
  if (!Number.isInteger(n) || n < 0) throw invalidField('Seed count must be a non-negative integer.');
  const base = nowMs - (nowMs % 3600000);
  const out: JsonObject[] = new Array<JsonObject>(n);
  for (let i = 0; i < n; i++) {
    const start = base + i * SEED_SPACING_MS;
    out[i] = {
      summary: `Seeded event ${i}`,
      start: { dateTime: new Date(start).toISOString() },
      end: { dateTime: new Date(start + SEED_DURATION_MS).toISOString() },
    };
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function parseSwitches(b: JsonObject): NotificationSwitches {
  const out: NotificationSwitches = {};
  const count = (key: 'dropNext' | 'delayMs'): void => {
    const v = b[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidField(`${key} must be a non-negative integer.`);
    out[key] = v;
  };
  const flag = (key: 'duplicate' | 'paused'): void => {
    const v = b[key];
    if (v === undefined) return;
    if (typeof v !== 'boolean') throw invalidField(`${key} must be a boolean.`);
    out[key] = v;
  };
  count('dropNext');
  count('delayMs');
  flag('duplicate');
  flag('paused');
  return out;
}

/** The same operations over HTTP under /__emulator, for processes that do not share memory with us. */
export function controlRouter(control: EmulatorControl, register: (body: JsonObject) => void): Router {
  const r = express.Router();
  const body = (raw: unknown): JsonObject => (isObject(raw) ? raw : {});
  const cal = (raw: string | string[] | undefined): string => (typeof raw === 'string' ? raw : '');

  r.post('/reset', (_req, res) => {
    control.reset();
    res.status(204).end();
  });
  r.get('/calendars/:calendarId/events', (req, res) => {
    res.json({ items: control.listEvents(cal(req.params.calendarId)) });
  });
  r.post('/calendars/:calendarId/events', (req, res) => {
    res.json(control.createEvent(cal(req.params.calendarId), body(req.body)));
  });
  r.patch('/calendars/:calendarId/events/:eventId', (req, res) => {
    res.json(control.editEvent(cal(req.params.calendarId), cal(req.params.eventId), body(req.body)));
  });
  r.delete('/calendars/:calendarId/events/:eventId', (req, res) => {
    control.deleteEvent(cal(req.params.calendarId), cal(req.params.eventId));
    res.status(204).end();
  });
  r.patch('/calendars/:calendarId/events/:eventId/instances/:originalStart', (req, res) => {
    res.json(control.editInstance(cal(req.params.calendarId), cal(req.params.eventId), cal(req.params.originalStart), body(req.body)));
  });
  r.delete('/calendars/:calendarId/events/:eventId/instances/:originalStart', (req, res) => {
    control.cancelInstance(cal(req.params.calendarId), cal(req.params.eventId), cal(req.params.originalStart));
    res.status(204).end();
  });
  r.post('/calendars/:calendarId/events/:eventId/split', (req, res) => {
    const b = body(req.body);
    res.json(control.splitSeries(cal(req.params.calendarId), cal(req.params.eventId), str(b.fromOriginalStart) ?? '', isObject(b.patch) ? b.patch : {}));
  });
  r.post('/clock/advance', (req, res) => {
    control.advanceClock(body(req.body).ms as number);
    res.status(204).end();
  });
  r.post('/calendars/:calendarId/seed', (req, res) => {
    const b = body(req.body);
    const events = Array.isArray(b.events) ? b.events.filter(isObject) : typeof b.count === 'number' ? b.count : 0;
    res.json(control.seedEvents(cal(req.params.calendarId), events));
  });
  r.post('/calendars/:calendarId/expire-sync-tokens', (req, res) => {
    control.expireSyncTokens(cal(req.params.calendarId));
    res.status(204).end();
  });
  r.post('/calendars/:calendarId/share', (req, res) => {
    const email = str(body(req.body).email);
    if (email === undefined) throw invalidField('email is required.');
    control.shareCalendar(cal(req.params.calendarId), email);
    res.status(204).end();
  });
  r.get('/stats', (_req, res) => {
    res.json(control.stats());
  });
  r.post('/stats/reset', (_req, res) => {
    control.resetStats();
    res.status(204).end();
  });
  r.post('/notifications', (req, res) => {
    const b = body(req.body);
    control.configureNotifications(parseSwitches(b), str(b.calendarId));
    res.status(204).end();
  });
  r.post('/notifications/flush', (req, res) => {
    const b = body(req.body);
    const opts: { calendarId?: string; order?: FlushOrder } = {};
    const calendarId = str(b.calendarId);
    if (calendarId !== undefined) opts.calendarId = calendarId;
    if (b.order === 'fifo' || b.order === 'reverse' || b.order === 'shuffle') opts.order = b.order;
    res.json({ released: control.flushNotifications(opts) });
  });
  r.get('/notifications/stats', (_req, res) => {
    res.json(control.notificationStats());
  });
  r.post('/notifications/idle', async (_req, res) => {
    await control.notificationsIdle();
    res.status(204).end();
  });
  r.post('/faults', (req, res) => {
    control.injectFaults(parseRules(body(req.body).rules));
    res.status(204).end();
  });
  r.delete('/faults', (_req, res) => {
    control.clearFaults();
    res.status(204).end();
  });
  r.get('/concurrency', (_req, res) => {
    res.json(control.concurrency());
  });
  r.post('/latency', (req, res) => {
    control.setLatency(body(req.body).ms as number);
    res.status(204).end();
  });
  r.get('/domains', (_req, res) => {
    res.json({ domains: control.domains() });
  });
  r.post('/domains', (req, res) => {
    const b = body(req.body);
    const opts: { users?: string[] } = {};
    if (b.users !== undefined) opts.users = b.users as string[];
    control.addDomain(b.domain as string, opts);
    res.status(204).end();
  });
  r.delete('/domains/:domain', (req, res) => {
    control.removeDomain(cal(req.params.domain));
    res.status(204).end();
  });
  r.post('/users', (req, res) => {
    control.addUser(body(req.body).email as string);
    res.status(204).end();
  });
  r.post('/users/:email/suspend', (req, res) => {
    control.suspendUser(cal(req.params.email));
    res.status(204).end();
  });
  r.post('/users/:email/reactivate', (req, res) => {
    control.reactivateUser(cal(req.params.email));
    res.status(204).end();
  });
  r.delete('/users/:email', (req, res) => {
    control.removeUser(cal(req.params.email));
    res.status(204).end();
  });
  r.post('/quotas', (req, res) => {
    res.json(control.configureQuotas(body(req.body)));
  });
  r.get('/quotas/stats', (_req, res) => {
    res.json(control.quotaStats());
  });
  r.post('/quotas/stats/reset', (_req, res) => {
    control.resetQuotaStats();
    res.status(204).end();
  });
  r.post('/service-accounts', (req, res) => {
    register(body(req.body));
    res.status(204).end();
  });
  return r;
}
