import type { EntityManager } from '@calsync/db';
import { GoogleApiError, googleEventIdFor, type GoogleCalendarGateway, type GoogleEvent } from '@calsync/google';
import type { ChangePublisher } from '../changes.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { fromGoogleEvent, isCancelledStub, toGoogleEventBody } from './google.ts';
import type { CreateEventInput, UpdateEventInput } from './inputs.ts';
import type { EventDTO } from './shape.ts';
import { cancelGoogleEvents, findEvent, findEventByGoogleId, listWindow, upsertGoogleEvents } from './store.ts';

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
  timeMin: Date;
  timeMax: Date;
  limit: number;
  cursor?: string | undefined;
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
  constructor(private readonly deps: EventServiceDeps) {}

  async createEvent(scope: CalendarScope, input: CreateEventInput): Promise<EventDTO> {
    // The id is always ours, so a repeat of this insert (a retry, or the caller's retry with the
    // same idempotency key) meets 409 and resolves to the event already made.
    const googleEventId = googleEventIdFor(scope, input.idempotencyKey);
    let event: GoogleEvent;
    try {
      event = await this.deps.google.insertEvent(scope, toGoogleEventBody(input), {
        id: googleEventId,
        createMeetLink: input.createMeetLink,
      });
    } catch (err) {
      if (!(err instanceof GoogleApiError && err.kind === 'conflict')) throw err;
      event = await this.deps.google.getEvent(scope, googleEventId);
      assertSameCreate(event, input);
    }
    if (input.createMeetLink) event = await this.awaitMeetLink(scope, event);
    return this.store(scope.calendarId, event);
  }

  async getEvent(scope: CalendarScope, id: string): Promise<EventDTO> {
    const row = await findEvent(this.deps.em.fork(), scope.calendarId, id);
    if (!row) throw new NotFoundError('Event', id);
    return row;
  }

  async listEvents(scope: CalendarScope, input: ListEventsInput): Promise<EventPage> {
    const after = input.cursor ? decodeCursor(input.cursor) : undefined;
    const { rows, hasMore } = await listWindow(this.deps.em.fork(), {
      calendarId: scope.calendarId,
      timeMin: input.timeMin,
      timeMax: input.timeMax,
      limit: input.limit,
      after,
    });
    const last = rows.at(-1);
    return new EventPage(rows, hasMore && last ? encodeCursor(last) : null);
  }

  async updateEvent(scope: CalendarScope, input: UpdateEventInput): Promise<EventDTO> {
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
    const patch = toGoogleEventBody({
      summary: input.summary,
      description: input.description,
      location: input.location,
      attendees: input.attendees,
      // Google wants start and end together, in one time zone, when either moves.
      ...(timesChange ? { startTime, endTime, timeZone: input.timeZone !== undefined ? input.timeZone : row.timeZone } : {}),
    });
    if (Object.keys(patch).length === 0) return row;

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
    return this.store(scope.calendarId, event);
  }

  async cancelEvent(scope: CalendarScope, id: string): Promise<EventDTO> {
    const em = this.deps.em.fork();
    const row = await findEvent(em, scope.calendarId, id);
    if (!row) throw new NotFoundError('Event', id);
    if (row.status !== 'cancelled') {
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
