import type { calendar_v3 } from '@googleapis/calendar';

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';
export type ResponseStatus = 'needsAction' | 'accepted' | 'declined' | 'tentative';

export interface Attendee {
  email: string;
  displayName: string | null;
  responseStatus: ResponseStatus;
}

/** A Google event reduced to what we store; the one mapping from Google's shape to ours. */
export interface GoogleEventFields {
  googleEventId: string;
  status: EventStatus;
  summary: string;
  description: string | null;
  location: string | null;
  startTime: Date;
  endTime: Date;
  timeZone: string | null;
  allDay: boolean;
  meetLink: string | null;
  htmlLink: string | null;
  organizerEmail: string | null;
  attendees: Attendee[];
  etag: string | null;
  googleUpdatedAt: Date | null;
}

/** A cancelled event as incremental sync reports it: only id and status are reliable. */
export interface CancelledEventStub {
  googleEventId: string;
  status: 'cancelled';
  etag: string | null;
}

export type GoogleEvent = calendar_v3.Schema$Event;

const STATUSES = new Set<string>(['confirmed', 'tentative', 'cancelled']);

/**
 * Text as PostgreSQL can store it: NUL characters are dropped and unpaired UTF-16 surrogates
 * become U+FFFD. A person can type anything into Google; one odd character must not make an
 * event unstorable and block every later sync of the calendar.
 */
export function storableText(value: string): string {
  return value.replaceAll('\u0000', '').toWellFormed();
}

function storableOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : storableText(value);
}
const RESPONSES = new Set<string>(['needsAction', 'accepted', 'declined', 'tentative']);

/**
 * Maps a full event resource. Returns a stub for cancelled events that carry no times (what
 * incremental sync sends for deletions).
 */
export function fromGoogleEvent(event: GoogleEvent): GoogleEventFields | CancelledEventStub {
  if (!event.id) throw new Error('Google event without id');
  const status = STATUSES.has(event.status ?? '') ? (event.status as EventStatus) : 'confirmed';
  if (!event.start || !event.end) {
    if (status === 'cancelled') return { googleEventId: event.id, status, etag: event.etag ?? null };
    throw new Error(`Google event ${event.id} has no start/end`);
  }
  const allDay = Boolean(event.start.date && !event.start.dateTime);
  return {
    googleEventId: event.id,
    status,
    summary: storableText(event.summary ?? ''),
    description: storableOrNull(event.description),
    location: storableOrNull(event.location),
    startTime: parseEventTime(event.start),
    endTime: parseEventTime(event.end),
    timeZone: event.start.timeZone ?? null,
    allDay,
    meetLink: meetLinkOf(event),
    htmlLink: event.htmlLink ?? null,
    organizerEmail: event.organizer?.email ?? null,
    attendees: (event.attendees ?? [])
      .filter((a): a is calendar_v3.Schema$EventAttendee & { email: string } => Boolean(a.email))
      .map((a) => ({
        email: storableText(a.email),
        displayName: storableOrNull(a.displayName),
        responseStatus: RESPONSES.has(a.responseStatus ?? '') ? (a.responseStatus as ResponseStatus) : 'needsAction',
      })),
    etag: event.etag ?? null,
    googleUpdatedAt: event.updated ? new Date(event.updated) : null,
  };
}

export function isCancelledStub(e: GoogleEventFields | CancelledEventStub): e is CancelledEventStub {
  return !('startTime' in e);
}

/** All-day dates are stored as UTC midnight; the end stays exclusive, as Google has it. */
function parseEventTime(t: calendar_v3.Schema$EventDateTime): Date {
  if (t.dateTime) return new Date(t.dateTime);
  if (t.date) return new Date(`${t.date}T00:00:00Z`);
  throw new Error('event time without dateTime or date');
}

function meetLinkOf(event: GoogleEvent): string | null {
  const video = event.conferenceData?.entryPoints?.find((e) => e.entryPointType === 'video');
  return video?.uri ?? event.hangoutLink ?? null;
}

/** What our API lets a caller set on an event; converted to Google's request body below. */
export interface EventWrite {
  summary?: string | undefined;
  description?: string | null | undefined;
  location?: string | null | undefined;
  startTime?: Date | undefined;
  endTime?: Date | undefined;
  timeZone?: string | null | undefined;
  attendees?: string[] | undefined;
}

export function toGoogleEventBody(write: EventWrite): GoogleEvent {
  const body: GoogleEvent = {};
  if (write.summary !== undefined) body.summary = write.summary;
  if (write.description !== undefined) body.description = write.description;
  if (write.location !== undefined) body.location = write.location;
  const timeZone = write.timeZone ?? undefined;
  if (write.startTime) body.start = { dateTime: write.startTime.toISOString(), ...(timeZone ? { timeZone } : {}) };
  if (write.endTime) body.end = { dateTime: write.endTime.toISOString(), ...(timeZone ? { timeZone } : {}) };
  if (write.attendees) body.attendees = write.attendees.map((email) => ({ email }));
  return body;
}
