/** In-memory calendars: events, the per-calendar change log, and every mutation rule. */
import { ApiError, invalidField, notFound, requiredField } from './errors.ts';
import {
  bodyAsJson,
  isObject,
  mergePatch,
  validateBody,
  type ConferenceData,
  type JsonObject,
  type StoredEvent,
  type ValidatedBody,
} from './event.ts';
import { isValidEventId, newEventId, newMeetCode, randomToken } from './ids.ts';

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
  byStart?: { seq: number; list: StoredEvent[] };
}

export interface StoreOptions {
  now: () => number;
  meetPendingMs: number;
  /** Called after every visible change (not for seeding), so push can notify. */
  onChange: (calendarId: string) => void;
  /** Timers owned by the emulator so that closing it cancels them. */
  schedule: (fn: () => void, ms: number) => void;
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
      };
      this.calendars.set(key, cal);
    }
    return cal;
  }

  reset(): void {
    this.calendars.clear();
  }

  get(calendarId: string, eventId: string): StoredEvent {
    const ev = this.calendar(calendarId).events.get(eventId);
    if (!ev) throw notFound();
    return ev;
  }

  insert(calendarId: string, input: JsonObject, actor: Actor, opts: WriteOptions, notify = true): StoredEvent {
    const cal = this.calendar(calendarId);
    let id: string;
    if (input.id !== undefined && input.id !== null) {
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
    const v = validateBody(mergePatch(bodyAsJson(ev.body), stripReadOnly(patch)), ev.organizer);
    this.checkServiceAccountLimits(v, actor);
    if (opts.conferenceDataVersion >= 1 && 'conferenceData' in patch) {
      this.replaceConference(cal, ev, patch.conferenceData, actor);
    }
    this.applyBody(ev, v);
    this.recordChange(cal, ev);
    return ev;
  }

  update(calendarId: string, eventId: string, input: JsonObject, actor: Actor, opts: WriteOptions): StoredEvent {
    const cal = this.calendar(calendarId);
    const ev = this.get(calendarId, eventId);
    this.checkEtag(ev, opts.ifMatch);
    const v = validateBody(stripReadOnly(input), ev.organizer);
    this.checkServiceAccountLimits(v, actor);
    // Version 0 clients do not know about conferences, so Google keeps the existing one.
    if (opts.conferenceDataVersion >= 1) this.replaceConference(cal, ev, input.conferenceData ?? null, actor);
    this.applyBody(ev, v);
    this.recordChange(cal, ev);
    return ev;
  }

  remove(calendarId: string, eventId: string, opts: { ifMatch?: string | undefined }): void {
    const cal = this.calendar(calendarId);
    const ev = this.get(calendarId, eventId);
    if (ev.body.status === 'cancelled') throw new ApiError(410, 'deleted', 'Resource has been deleted');
    this.checkEtag(ev, opts.ifMatch);
    ev.body = { ...ev.body, status: 'cancelled' };
    this.recordChange(cal, ev);
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
    ev.updatedMs = now;
    ev.etag = this.nextEtag(now);
    cal.log.push({ seq: cal.seq, ev });
    if (cal.log.length > 2 * cal.events.size + 1024) {
      // Dead entries only waste scanning; live ones keep their seq, so cursors stay valid.
      cal.log = cal.log.filter((e) => e.seq === e.ev.changeSeq);
    }
    if (notify) this.opts.onChange(cal.id);
  }
}

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
  const { kind, etag, id, htmlLink, created, updated, creator, organizer, iCalUID, sequence, hangoutLink, conferenceData, eventType, ...rest } = input;
  return rest;
}
