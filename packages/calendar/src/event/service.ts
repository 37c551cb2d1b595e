import type { EntityManager } from '@calsync/db';
import { GoogleApiError, googleEventIdFor, type GoogleCalendarGateway, type GoogleEvent } from '@calsync/google';
import type { ChangePublisher } from '../changes.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { fromGoogleEvent, isCancelledStub, toGoogleEventBody } from './google.ts';
import type { CancelEventInput, CreateEventInput, UpdateEventInput } from './inputs.ts';
import type { EventDTO } from './shape.ts';
import type { JsonStyle } from './field.ts';
import { cancelGoogleEvents, findEvent, findEventByGoogleId, findFirstOccurrence, listLinked, listWindow, listWindowJson, upsertGoogleEvents, type PageText } from './store.ts';
import { SeriesEditor } from '../series/editor.ts';
import { findSeries, seriesFromGoogle, upsertSeries } from '../series/store.ts';

/**
 * Whose calendar an operation acts on: the authenticated user, the Google calendar id, and the
 * Workspace user the service account acts as for it (undefined: the service account itself).
 */
export interface CalendarScope {
  userId: string;
  calendarId: string;
  subject: string | undefined;
}

export interface ListEventsInput {
  /** The window; optional only with a deal or contact filter (then: past and upcoming). */
  timeMin?: Date | undefined;
  timeMax?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
  /** Only the meetings linked to this deal, or to this contact. */
  dealId?: string | undefined;
  contactId?: string | undefined;
  /** With a deal or contact filter: every calendar's meetings (admins), not only the scope's. */
  allCalendars?: boolean | undefined;
}

/**
 * One page of listEvents. A class rather than a literal so that the API layer can recognise a
 * page and encode its known shape directly (a 250-event page is the hottest response there is).
 */
export class EventPage {
  readonly items: EventDTO[];
  readonly nextCursor: string | null;

  constructor(items: EventDTO[], nextCursor: string | null) {
    this.items = items;
    this.nextCursor = nextCursor;
  }
}

/**
 * One event as getEvent (and each write) answers it: the event, and for an occurrence of a
 * recurring meeting its series' rule (RRULE, EXDATE, RDATE lines; null for a one-off event).
 */
export type EventDetail = EventDTO & { recurrence: string[] | null };

/**
 * Create/update/cancel go to Google first and store Google's answer; reads come from our
 * database only. Knows nothing of HTTP or tRPC. Each call is its own unit of work.
 */
export interface EventServiceDeps {
  em: EntityManager;
  google: GoogleCalendarGateway;
  /**
   * Google may answer a Meet request with status "pending" and add the link moments later.
   * createEvent re-reads the event this many times, this far apart, so the caller usually gets
   * the link at once; if it is still pending, the link arrives with the next sync.
   */
  meetLinkWait?: { attempts: number; delayMs: number };
  /** Told after each write, so other open pages show it without waiting for Google's echo. */
  changes?: ChangePublisher;
}

const DEFAULT_MEET_LINK_WAIT = { attempts: 5, delayMs: 300 };

export class EventService {
  private readonly series: SeriesEditor;

  constructor(private readonly deps: EventServiceDeps) {
    this.series = new SeriesEditor(deps);
  }

  /**
   * Creates the event in Google and stores Google's answer. A recurring meeting (`recurrence`)
   * is stored as its series and its occurrences (read back from Google); the answer is its first
   * occurrence.
   */
  async createEvent(scope: CalendarScope, input: CreateEventInput): Promise<EventDetail> {
    // The id is always ours, so a repeat of this insert (a retry, or the caller's retry with the
    // same idempotency key) meets 409 and resolves to the event already made.
    const googleEventId = googleEventIdFor(scope, input.idempotencyKey);
    let event: GoogleEvent;
    try {
      const body = toGoogleEventBody(input);
      if (input.recurrence) body.recurrence = input.recurrence;
      event = await this.deps.google.insertEvent(scope, body, {
        id: googleEventId,
        createMeetLink: input.createMeetLink,
      });
    } catch (err) {
      if (!(err instanceof GoogleApiError && err.kind === 'conflict')) throw err;
      event = await this.deps.google.getEvent(scope, googleEventId);
      assertSameCreate(event, input);
    }
    if (input.createMeetLink) event = await this.awaitMeetLink(scope, event);
    const series = seriesFromGoogle(event);
    if (!series) return this.detail(scope, await this.store(scope.calendarId, event));
    await upsertSeries(this.deps.em.fork(), scope.calendarId, [series]);
    await this.series.refresh(scope, series.googleSeriesId);
    return this.occurrenceOf(scope, series.googleSeriesId, series.startTime);
  }

  async getEvent(scope: CalendarScope, id: string): Promise<EventDetail> {
    const row = await findEvent(this.deps.em.fork(), scope.calendarId, id);
    if (!row) throw new NotFoundError('Event', id);
    return this.detail(scope, row);
  }

  async listEvents(scope: CalendarScope, input: ListEventsInput): Promise<EventPage> {
    const after = input.cursor ? decodeCursor(input.cursor) : undefined;
    const filter = input.dealId !== undefined ? { dealId: input.dealId } : input.contactId !== undefined ? { contactId: input.contactId } : undefined;
    let page: { rows: EventDTO[]; hasMore: boolean };
    if (filter) {
      const calendarId = input.allCalendars ? undefined : scope.calendarId;
      page = await listLinked(this.deps.em.fork(), { calendarId, filter, timeMin: input.timeMin, timeMax: input.timeMax, limit: input.limit, after });
    } else {
      const { timeMin, timeMax } = requireWindow(input);
      page = await listWindow(this.deps.em.fork(), { calendarId: scope.calendarId, timeMin, timeMax, limit: input.limit, after });
    }
    const { rows, hasMore } = page;
    const last = rows.at(-1);
    return new EventPage(rows, hasMore && last ? encodeCursor(last) : null);
  }

  /**
   * The page listEvents answers for a window (no deal or contact filter), as JSON text written
   * by PostgreSQL (see listWindowJson): for the HTTP layer, which sends it on without parsing.
   * The same checks, query, order and cursor as listEvents.
   */
  async listEventsText(scope: CalendarScope, input: ListEventsInput, style: JsonStyle): Promise<PageText> {
    if (input.dealId !== undefined || input.contactId !== undefined) throw new Error('listEventsText lists windows only: use listEvents for a deal or contact');
    const after = input.cursor ? decodeCursor(input.cursor) : undefined;
    const { timeMin, timeMax } = requireWindow(input);
    return listWindowJson(this.deps.em.fork(), { calendarId: scope.calendarId, timeMin, timeMax, limit: input.limit, after }, style);
  }

  /**
   * Patches the event in Google. An occurrence of a recurring meeting: `scope` says which ones
   * change (this one: it becomes an exception; this and the following ones: the series is split
   * there; all of them: the series is patched). The answer is the edited occurrence as it is now.
   */
  async updateEvent(scope: CalendarScope, input: UpdateEventInput): Promise<EventDetail> {
    const em = this.deps.em.fork();
    const row = await findEvent(em, scope.calendarId, input.id);
    if (!row) throw new NotFoundError('Event', input.id);
    if (row.status === 'cancelled') throw new ConflictError('The event is cancelled and can no longer be changed.');
    if (input.expectedEtag !== undefined && input.expectedEtag !== row.etag) {
      throw new PreconditionFailedError('The event was changed since you loaded it; reload it and try again.');
    }
    const startTime = input.startTime ?? row.startTime;
    const endTime = input.endTime ?? row.endTime;
    if (endTime.getTime() <= startTime.getTime()) {
      throw new ValidationError(input.endTime ? 'endTime' : 'startTime', 'the event must end after it starts');
    }
    const timesChange = input.startTime !== undefined || input.endTime !== undefined || input.timeZone !== undefined;
    if (input.scope !== 'instance' && row.recurringEventId) {
      const { id: _id, expectedEtag: _etag, scope: _scope, recurrence, ...write } = input;
      if (input.scope === 'series') {
        const seriesId = await this.series.editAll(scope, row, { ...write, recurrence });
        // The occurrence keeps its id unless the series moved in time (then: the one it became).
        const same = await findEvent(this.deps.em.fork(), scope.calendarId, row.id);
        if (same && same.status !== 'cancelled') return this.detail(scope, same);
        const shift = (input.startTime ?? row.startTime).getTime() - row.startTime.getTime();
        return this.occurrenceOf(scope, seriesId, new Date(row.startTime.getTime() + shift));
      }
      const newSeriesId = await this.series.editFollowing(scope, row, { ...write, recurrence });
      return this.occurrenceOf(scope, newSeriesId, new Date(0));
    }
    if (input.scope !== 'instance' && input.recurrence) {
      throw new ValidationError('recurrence', 'the event is not a recurring meeting: its rule cannot be changed');
    }
    const { id: _id, expectedEtag: _etag, scope: _scope, recurrence: _rule, startTime: _start, endTime: _end, timeZone: _zone, ...fields } = input;
    const patch = toGoogleEventBody({
      ...fields,
      // Google wants start and end together, in one time zone, when either moves.
      ...(timesChange ? { startTime, endTime, timeZone: input.timeZone !== undefined ? input.timeZone : row.timeZone } : {}),
    });
    if (Object.keys(patch).length === 0) return this.detail(scope, row);

    let event: GoogleEvent;
    try {
      event = await this.deps.google.patchEvent(scope, row.googleEventId, patch, { ifMatch: input.expectedEtag });
    } catch (err) {
      if (err instanceof GoogleApiError && (err.kind === 'gone' || err.kind === 'not_found')) {
        await cancelGoogleEvents(em, scope.calendarId, [{ googleEventId: row.googleEventId, status: 'cancelled', etag: null }]);
        throw new NotFoundError('Event', input.id);
      }
      throw err;
    }
    return this.detail(scope, await this.store(scope.calendarId, event));
  }

  /**
   * Deletes the event in Google; the local row stays, with status cancelled. An occurrence of a
   * recurring meeting: `scope` says which ones go (this one, this and the following ones, all).
   */
  async cancelEvent(scope: CalendarScope, input: CancelEventInput): Promise<EventDetail> {
    const { id } = input;
    const em = this.deps.em.fork();
    const row = await findEvent(em, scope.calendarId, id);
    if (!row) throw new NotFoundError('Event', id);
    if (row.status !== 'cancelled' && input.scope !== 'instance' && row.recurringEventId) {
      if (input.scope === 'series') await this.series.cancelAll(scope, row);
      else await this.series.cancelFollowing(scope, row);
    } else if (row.status !== 'cancelled') {
      try {
        await this.deps.google.deleteEvent(scope, row.googleEventId);
      } catch (err) {
        // Already deleted in Google: the goal is reached, record it.
        if (!(err instanceof GoogleApiError && (err.kind === 'gone' || err.kind === 'not_found'))) throw err;
      }
      const cancelled = await cancelGoogleEvents(em, scope.calendarId, [{ googleEventId: row.googleEventId, status: 'cancelled', etag: null }]);
      this.deps.changes?.publish(scope.calendarId, { changed: 0, deleted: cancelled.length, source: 'write' });
    }
    return this.getEvent(scope, id);
  }

  /** The event with its series' rule, when it is an occurrence of one. */
  private async detail(scope: CalendarScope, row: EventDTO): Promise<EventDetail> {
    const series = row.recurringEventId ? await findSeries(this.deps.em.fork(), scope.calendarId, row.recurringEventId) : null;
    return { ...row, recurrence: series?.recurrence ?? null };
  }

  /** The series' first live occurrence starting at or after `from` (its first one when none does). */
  private async occurrenceOf(scope: CalendarScope, seriesId: string, from: Date): Promise<EventDetail> {
    const em = this.deps.em.fork();
    const row = (await findFirstOccurrence(em, scope.calendarId, seriesId, from)) ?? (await findFirstOccurrence(em, scope.calendarId, seriesId, new Date(0)));
    if (!row) throw new NotFoundError('Event', seriesId);
    return this.detail(scope, row);
  }

  private async awaitMeetLink(scope: CalendarScope, created: GoogleEvent): Promise<GoogleEvent> {
    const wait = this.deps.meetLinkWait ?? DEFAULT_MEET_LINK_WAIT;
    let event = created;
    for (let i = 0; i < wait.attempts && isMeetPending(event); i++) {
      await new Promise((resolve) => setTimeout(resolve, wait.delayMs));
      event = await this.deps.google.getEvent(scope, created.id ?? '');
    }
    return event;
  }

  private async store(calendarId: string, event: GoogleEvent): Promise<EventDTO> {
    const fields = fromGoogleEvent(event);
    const em = this.deps.em.fork();
    if (isCancelledStub(fields)) {
      await cancelGoogleEvents(em, calendarId, [fields]);
    } else {
      await upsertGoogleEvents(em, calendarId, [fields]);
    }
    const row = await findEventByGoogleId(em, calendarId, fields.googleEventId);
    if (!row) throw new NotFoundError('Event', fields.googleEventId);
    this.deps.changes?.publish(calendarId, isCancelledStub(fields) ? { changed: 0, deleted: 1, source: 'write' } : { changed: 1, deleted: 0, source: 'write' });
    return row;
  }
}

function isMeetPending(event: GoogleEvent): boolean {
  return event.conferenceData?.createRequest?.status?.statusCode === 'pending';
}

/** An idempotency key names one create: reusing it for a different event is a caller bug. */
function assertSameCreate(existing: GoogleEvent, input: CreateEventInput): void {
  const fields = fromGoogleEvent(existing);
  if (isCancelledStub(fields)) return;
  const same =
    fields.summary === input.summary &&
    fields.startTime.getTime() === input.startTime.getTime() &&
    fields.endTime.getTime() === input.endTime.getTime();
  if (!same) {
    throw new ConflictError('This idempotencyKey was already used to create a different event; use a new key for a new event.');
  }
}

/** A listing without a deal or contact filter is of a window: both ends are required. */
function requireWindow(input: ListEventsInput): { timeMin: Date; timeMax: Date } {
  if (!input.timeMin) throw new ValidationError('timeMin', 'is required (unless dealId or contactId is given)');
  if (!input.timeMax) throw new ValidationError('timeMax', 'is required (unless dealId or contactId is given)');
  return { timeMin: input.timeMin, timeMax: input.timeMax };
}
