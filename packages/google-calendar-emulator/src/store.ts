/** In-memory calendars: events, the per-calendar change log, and every mutation rule. */
import { ApiError, invalidField, notFound, requiredField } from './errors.ts';
import {
  bodyAsJson,
  isObject,
  mergePatch,
  validateBody,
  type ConferenceData,
  type EventBody,
  type JsonObject,
  type StoredEvent,
  type ValidatedBody,
} from './event.ts';
import { isValidEventId, newEventId, newMeetCode, randomToken } from './ids.ts';
import { instanceStamp, parseInstanceId, seriesRule, virtualInstance } from './instances.ts';
import type { Expander, SeriesRule } from './recurrence.ts';

/** Who performs a change. `serviceAccount` = a bare service account acting as itself (no delegation). */
export interface Actor {
  principal: string;
  serviceAccount: boolean;
}

export interface Calendar {
  id: string;
  events: Map<string, StoredEvent>;
  /**
   * Append-only (until compaction) list of changes; an entry is live when it is still the
   * event's latest change. Ordered by seq, so cursors and sync baselines are binary searches.
   */
  log: { seq: number; ev: StoredEvent }[];
  seq: number;
  updatedMs: number;
  /** Bumped by expireSyncTokens: tokens minted under an older generation answer 410. */
  tokenGeneration: number;
  /** Stable per calendar, like Google's X-Goog-Resource-ID. */
  resourceId: string;
  sharedWith: Set<string>;
  /** Stored instances (modified or cancelled occurrences) per series id, by original start. */
  exceptions: Map<string, Map<number, StoredEvent>>;
  /** Per series id: the rule in force from each change on (undefined: deleted or not recurring). */
  ruleHistory: Map<string, { seq: number; rule: SeriesRule | undefined }[]>;
  /** Sorted listing for orderBy=startTime, valid for one change seq and expansion bound. */
  byStart?: { key: string; list: StoredEvent[] };
}

export interface StoreOptions {
  now: () => number;
  meetPendingMs: number;
  /** Called after every visible change (not for seeding), so push can notify. */
  onChange: (calendarId: string) => void;
  /** Timers owned by the emulator so that closing it cancels them. */
  schedule: (fn: () => void, ms: number) => void;
  expander: Expander;
}

export interface WriteOptions {
  conferenceDataVersion: number;
  ifMatch?: string | undefined;
}

const MEET_ICON = 'https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png';

export class Store {
  readonly calendars = new Map<string, Calendar>();
  private lastEtag = 0;

  constructor(private readonly opts: StoreOptions) {}

  /** Calendars exist implicitly from their first use, like a user's primary calendar. */
  calendar(id: string): Calendar {
    const key = id.toLowerCase();
    let cal = this.calendars.get(key);
    if (!cal) {
      cal = {
        id: key,
        events: new Map(),
        log: [],
        seq: 0,
        updatedMs: this.opts.now(),
        tokenGeneration: 0,
        resourceId: randomToken(20),
        sharedWith: new Set(),
        exceptions: new Map(),
        ruleHistory: new Map(),
      };
      this.calendars.set(key, cal);
    }
    return cal;
  }

  reset(): void {
    this.calendars.clear();
  }

  /** A stored event, or an unmodified occurrence of a series built on demand (not stored). */
  get(calendarId: string, eventId: string): StoredEvent {
    const cal = this.calendar(calendarId);
    const ev = cal.events.get(eventId) ?? this.occurrence(cal, eventId);
    if (!ev) throw notFound();
    return ev;
  }

  /** `<seriesId>_<stamp>` of an occurrence the series really has (a modified one is stored under its id). */
  private occurrence(cal: Calendar, eventId: string): StoredEvent | undefined {
    const parsed = parseInstanceId(eventId);
    if (!parsed) return undefined;
    const master = cal.events.get(parsed.seriesId);
    const rule = master && seriesRule(master);
    if (!master || !rule || rule.allDay !== parsed.allDay) return undefined;
    const stored = cal.exceptions.get(master.id)?.get(parsed.originalStartMs);
    if (stored) return stored;
    return this.opts.expander.has(rule, parsed.originalStartMs) ? virtualInstance(master, parsed.originalStartMs) : undefined;
  }

  /** Unmodified occurrences' original starts up to `untilMs` (modified and cancelled ones are stored events). */
  occurrences(cal: Calendar, master: StoredEvent, untilMs: number, rule = seriesRule(master)): number[] {
    if (!rule) return [];
    const starts = this.opts.expander.starts(rule, untilMs);
    const overridden = cal.exceptions.get(master.id);
    return overridden && overridden.size > 0 ? starts.filter((ms) => !overridden.has(ms)) : starts;
  }

  /** When the event first recurred (undefined: never). */
  firstRuleSeq(cal: Calendar, seriesId: string): number | undefined {
    return cal.ruleHistory.get(seriesId)?.[0]?.seq;
  }

  /** The rule the series had right after change `seq` (undefined: it did not exist, was deleted, or did not recur). */
  ruleAt(cal: Calendar, seriesId: string, seq: number): SeriesRule | undefined {
    const history = cal.ruleHistory.get(seriesId);
    let rule: SeriesRule | undefined;
    for (const h of history ?? []) {
      if (h.seq > seq) break;
      rule = h.rule;
    }
    return rule;
  }

  /** `serverId`: an id Google itself would make (a split series' `<id>_R<stamp>`), not a client's. */
  insert(calendarId: string, input: JsonObject, actor: Actor, opts: WriteOptions, notify = true, serverId?: string): StoredEvent {
    const cal = this.calendar(calendarId);
    let id: string;
    if (serverId !== undefined) {
      if (cal.events.has(serverId)) throw new ApiError(409, 'duplicate', 'The requested identifier already exists.');
      id = serverId;
    } else if (input.id !== undefined && input.id !== null) {
      if (typeof input.id !== 'string' || !isValidEventId(input.id)) throw invalidField('Invalid resource id value.');
      id = input.id;
      // A cancelled event still owns its id: this is what makes client-chosen ids idempotent.
      if (cal.events.has(id)) throw new ApiError(409, 'duplicate', 'The requested identifier already exists.');
    } else {
      id = newEventId();
    }
    const v = validateBody(input, cal.id);
    this.checkServiceAccountLimits(v, actor);
    const now = this.opts.now();
    const ev: StoredEvent = {
      id,
      calendarId: cal.id,
      changeSeq: 0,
      etag: '',
      createdMs: now,
      updatedMs: now,
      sequence: 0,
      startMs: v.startMs,
      endMs: v.endMs,
      organizer: cal.id,
      creator: actor.principal,
      body: v.body,
    };
    if (opts.conferenceDataVersion >= 1 && isObject(input.conferenceData)) {
      this.applyConference(cal, ev, input.conferenceData, actor);
    }
    cal.events.set(id, ev);
    this.recordChange(cal, ev, notify);
    return ev;
  }

  patch(calendarId: string, eventId: string, patch: JsonObject, actor: Actor, opts: WriteOptions): StoredEvent {
    const cal = this.calendar(calendarId);
    const ev = this.get(calendarId, eventId);
    this.checkEtag(ev, opts.ifMatch);
    const input = this.forTarget(ev, stripReadOnly(patch));
    const v = validateBody(mergePatch(bodyAsJson(ev.body), input), ev.organizer);
    this.checkServiceAccountLimits(v, actor);
    return this.write(cal, ev, v, (target) => {
      if (opts.conferenceDataVersion >= 1 && 'conferenceData' in patch) this.replaceConference(cal, target, patch.conferenceData, actor);
    });
  }

  update(calendarId: string, eventId: string, input: JsonObject, actor: Actor, opts: WriteOptions): StoredEvent {
    const cal = this.calendar(calendarId);
    const ev = this.get(calendarId, eventId);
    this.checkEtag(ev, opts.ifMatch);
    const v = validateBody(this.forTarget(ev, stripReadOnly(input)), ev.organizer);
    this.checkServiceAccountLimits(v, actor);
    return this.write(cal, ev, v, (target) => {
      // Version 0 clients do not know about conferences, so Google keeps the existing one.
      if (opts.conferenceDataVersion >= 1) this.replaceConference(cal, target, input.conferenceData ?? null, actor);
    });
  }

  remove(calendarId: string, eventId: string, opts: { ifMatch?: string | undefined }): void {
    const cal = this.calendar(calendarId);
    const ev = this.get(calendarId, eventId);
    if (ev.body.status === 'cancelled') throw new ApiError(410, 'deleted', 'Resource has been deleted');
    this.checkEtag(ev, opts.ifMatch);
    // An unmodified occurrence becomes a stored, cancelled one: Google keeps it for the series' lifetime.
    const target = this.materialize(cal, ev);
    target.body = { ...target.body, status: 'cancelled' };
    if (seriesRule(target) !== undefined) {
      // Deleting the series deletes every occurrence, the modified ones included.
      for (const exception of cal.exceptions.get(target.id)?.values() ?? []) {
        if (exception.body.status === 'cancelled') continue;
        exception.body = { ...exception.body, status: 'cancelled' };
        this.recordChange(cal, exception, false);
      }
    }
    this.recordChange(cal, target);
  }

  /** Instances never carry a recurrence of their own; Google drops it from what the client sent. */
  private forTarget(ev: StoredEvent, input: JsonObject): JsonObject {
    if (ev.recurringEventId === undefined) return input;
    const { recurrence, ...rest } = input;
    void recurrence;
    return rest;
  }

  /** Applies a validated body; an occurrence becomes a stored exception, a series passes changes on to its exceptions. */
  private write(cal: Calendar, ev: StoredEvent, v: ValidatedBody, conference: (target: StoredEvent) => void): StoredEvent {
    const target = this.materialize(cal, ev);
    const before = target.body;
    try {
      conference(target);
    } catch (err) {
      // A refused write leaves no trace, not even a half-made exception.
      if (target !== ev && ev.recurringEventId !== undefined && ev.originalStartMs !== undefined) {
        cal.events.delete(target.id);
        cal.exceptions.get(ev.recurringEventId)?.delete(ev.originalStartMs);
      }
      throw err;
    }
    this.applyBody(target, v);
    if (seriesRule(target) !== undefined || before.recurrence !== undefined) this.propagate(cal, target, before);
    this.recordChange(cal, target);
    return target;
  }

  /** Stores a built-on-demand occurrence as an exception of its series (no change recorded yet). */
  private materialize(cal: Calendar, ev: StoredEvent): StoredEvent {
    if (cal.events.get(ev.id) === ev || ev.recurringEventId === undefined || ev.originalStartMs === undefined) return ev;
    const exception: StoredEvent = { ...ev, body: { ...ev.body } };
    cal.events.set(exception.id, exception);
    let byStart = cal.exceptions.get(ev.recurringEventId);
    if (!byStart) {
      byStart = new Map();
      cal.exceptions.set(ev.recurringEventId, byStart);
    }
    byStart.set(ev.originalStartMs, exception);
    return exception;
  }

  /**
   * A series edit reaches its modified occurrences field by field: what changed on the series
   * overwrites the same field of every live exception (as Google Calendar does for "all events";
   * their own times stay). Times are not passed on: a moved occurrence keeps its slot.
   */
  private propagate(cal: Calendar, master: StoredEvent, before: EventBody): void {
    const old = bodyAsJson(before);
    const now = bodyAsJson(master.body);
    const changed = [...new Set([...Object.keys(old), ...Object.keys(now)])].filter(
      (k) => !['start', 'end', 'recurrence', 'status'].includes(k) && JSON.stringify(old[k]) !== JSON.stringify(now[k]),
    );
    if (changed.length === 0) return;
    for (const exception of cal.exceptions.get(master.id)?.values() ?? []) {
      if (exception.body.status === 'cancelled') continue;
      const patch: JsonObject = {};
      for (const k of changed) patch[k] = k in now ? now[k] : null;
      exception.body = validateBody(mergePatch(bodyAsJson(exception.body), patch), exception.organizer).body;
      this.recordChange(cal, exception, false);
    }
  }

  /**
   * "This and following events" as a person does it in Google Calendar: the series ends before
   * `fromMs` (an UNTIL), the occurrences from there on become a new series `<id>_R<stamp>` with
   * `patch` applied, and modified occurrences from there on are dropped ("changes to future events
   * will be lost"). Through the API a client does the same in two calls (patch, insert).
   */
  split(calendarId: string, seriesId: string, fromMs: number, patch: JsonObject): { series: StoredEvent; following: StoredEvent } {
    const cal = this.calendar(calendarId);
    const master = this.get(calendarId, seriesId);
    const rule = seriesRule(master);
    if (!rule || master.body.status === 'cancelled') throw invalidField('Only a live recurring event can be split.');
    if (fromMs <= master.startMs || !this.opts.expander.has(rule, fromMs)) throw invalidField('The split must be at a later occurrence of the series.');
    const owner: Actor = { principal: cal.id, serviceAccount: false };
    const ui: WriteOptions = { conferenceDataVersion: 1 };
    const before = this.opts.expander.starts(rule, fromMs - 1).length;
    const stamp = instanceStamp(fromMs, rule.allDay);
    const until = rule.allDay ? instanceStamp(fromMs - 86_400_000, true) : instanceStamp(fromMs - 1000, false);
    const ending: string[] = [];
    const following: string[] = [];
    for (const line of rule.recurrence) {
      if (!/^RRULE:/i.test(line)) {
        ending.push(line);
        following.push(line);
        continue;
      }
      const parts = line.slice(6).split(';').filter((p) => !/^(UNTIL|COUNT)=/i.test(p));
      const count = /(?:^|;)COUNT=(\d+)/i.exec(line.slice(6))?.[1];
      const end = /(?:^|;)UNTIL=([^;]+)/i.exec(line.slice(6))?.[1];
      ending.push(`RRULE:${[...parts, `UNTIL=${until}`].join(';')}`);
      const rest = count !== undefined ? [`COUNT=${Math.max(1, Number(count) - before)}`] : end !== undefined ? [`UNTIL=${end}`] : [];
      following.push(`RRULE:${[...parts, ...rest].join(';')}`);
    }
    // The new series starts as the occurrence it replaces, with the person's changes on top.
    const fields = bodyAsJson(virtualInstance(master, fromMs).body);
    const next = this.insert(cal.id, mergePatch({ ...fields, recurrence: following }, stripReadOnly(patch)), owner, ui, true, `${master.id}_R${stamp.replace(/Z$/, '')}`);
    for (const [ms, exception] of cal.exceptions.get(master.id) ?? []) {
      if (ms < fromMs || exception.body.status === 'cancelled') continue;
      exception.body = { ...exception.body, status: 'cancelled' };
      this.recordChange(cal, exception, false);
    }
    const series = this.patch(cal.id, master.id, { recurrence: ending }, owner, ui);
    return { series, following: next };
  }

  /** Bulk insert for benchmarks: same resources, one change each, no notification per event. */
  seed(calendarId: string, inputs: JsonObject[]): string[] {
    const cal = this.calendar(calendarId);
    const actor: Actor = { principal: cal.id, serviceAccount: false };
    const ids: string[] = [];
    for (const input of inputs) {
      ids.push(this.insert(cal.id, input, actor, { conferenceDataVersion: 1 }, false).id);
    }
    return ids;
  }

  private applyBody(ev: StoredEvent, v: ValidatedBody): void {
    if (v.startMs !== ev.startMs || v.endMs !== ev.endMs || (v.body.start.date === undefined) !== (ev.body.start.date === undefined)) {
      ev.sequence += 1;
    }
    ev.body = v.body;
    ev.startMs = v.startMs;
    ev.endMs = v.endMs;
  }

  private checkEtag(ev: StoredEvent, ifMatch: string | undefined): void {
    if (ifMatch === undefined || ifMatch === '*') return;
    if (ifMatch !== ev.etag) {
      throw new ApiError(412, 'conditionNotMet', 'Precondition Failed', { locationType: 'header', location: 'If-Match' });
    }
  }

  private checkServiceAccountLimits(v: ValidatedBody, actor: Actor): void {
    if (actor.serviceAccount && v.body.attendees !== undefined) {
      throw new ApiError(
        403,
        'forbiddenForServiceAccounts',
        'Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.',
      );
    }
  }

  private replaceConference(cal: Calendar, ev: StoredEvent, raw: unknown, actor: Actor): void {
    if (raw === null || raw === undefined) {
      delete ev.conference;
      return;
    }
    if (!isObject(raw)) throw invalidField('Invalid conference data.');
    const requestId = isObject(raw.createRequest) ? raw.createRequest.requestId : undefined;
    // The same requestId means "keep the conference I already asked for", as with Google.
    if (requestId !== undefined && requestId === ev.conference?.createRequest?.requestId) return;
    if (raw.createRequest === undefined) return;
    this.applyConference(cal, ev, raw, actor);
  }

  private applyConference(cal: Calendar, ev: StoredEvent, raw: JsonObject, actor: Actor): void {
    const req = raw.createRequest;
    if (!isObject(req)) return;
    const key = isObject(req.conferenceSolutionKey) ? req.conferenceSolutionKey.type : undefined;
    // Google only lets users (or delegated service accounts) create Meet conferences.
    if (key !== 'hangoutsMeet' || actor.serviceAccount) throw invalidField('Invalid conference type value.');
    if (typeof req.requestId !== 'string' || req.requestId === '') throw requiredField('Missing conference request id.');
    const requestId = req.requestId;
    const pending = this.opts.meetPendingMs > 0;
    const conference: ConferenceData = pending
      ? { createRequest: { requestId, conferenceSolutionKey: { type: 'hangoutsMeet' }, status: { statusCode: 'pending' } } }
      : meetConference(requestId);
    ev.conference = conference;
    if (pending) {
      this.opts.schedule(() => {
        // Only complete the request we started; a later replacement has its own timer.
        if (ev.conference !== conference || cal.events.get(ev.id) !== ev) return;
        ev.conference = meetConference(requestId);
        this.recordChange(cal, ev);
      }, this.opts.meetPendingMs);
    }
  }

  /** Keeps what each version of a series expanded to, so a sync can cancel occurrences a later version dropped. */
  private recordRule(cal: Calendar, ev: StoredEvent): void {
    if (ev.recurringEventId !== undefined) return;
    const rule = ev.body.status === 'cancelled' ? undefined : seriesRule(ev);
    let history = cal.ruleHistory.get(ev.id);
    if (!history) {
      if (rule === undefined) return;
      history = [];
      cal.ruleHistory.set(ev.id, history);
    }
    const last = history[history.length - 1];
    if (last === undefined || ruleKey(last.rule) !== ruleKey(rule)) history.push({ seq: cal.seq, rule });
  }

  private nextEtag(now: number): string {
    this.lastEtag = Math.max(this.lastEtag + 1, now * 1000);
    return `"${this.lastEtag}"`;
  }

  /** The one place a change becomes visible: etag, updated, change log, notifications. */
  private recordChange(cal: Calendar, ev: StoredEvent, notify = true): void {
    const now = this.opts.now();
    cal.seq += 1;
    cal.updatedMs = now;
    ev.changeSeq = cal.seq;
    ev.createdSeq ??= cal.seq;
    ev.updatedMs = now;
    ev.etag = this.nextEtag(now);
    this.recordRule(cal, ev);
    cal.log.push({ seq: cal.seq, ev });
    if (cal.log.length > 2 * cal.events.size + 1024) {
      // Dead entries only waste scanning; live ones keep their seq, so cursors stay valid.
      cal.log = cal.log.filter((e) => e.seq === e.ev.changeSeq);
    }
    if (notify) this.opts.onChange(cal.id);
  }
}

const ruleKey = (r: SeriesRule | undefined): string => JSON.stringify(r ?? null);

function meetConference(requestId: string): ConferenceData {
  const code = newMeetCode();
  return {
    createRequest: { requestId, conferenceSolutionKey: { type: 'hangoutsMeet' }, status: { statusCode: 'success' } },
    entryPoints: [{ entryPointType: 'video', uri: `https://meet.google.com/${code}`, label: `meet.google.com/${code}` }],
    conferenceSolution: { key: { type: 'hangoutsMeet' }, name: 'Google Meet', iconUri: MEET_ICON },
    conferenceId: code,
  };
}

/** Clients often send back a whole fetched resource; server-owned fields in it are ignored. */
function stripReadOnly(input: JsonObject): JsonObject {
  const { kind, etag, id, htmlLink, created, updated, creator, organizer, iCalUID, sequence, hangoutLink, conferenceData, eventType, recurringEventId, originalStartTime, ...rest } = input;
  return rest;
}
