import type { Attendee, EventStatus } from '@calsync/google';

/** What the API returns for an event: never the ORM entity itself. */
export interface EventDTO {
  id: string;
  googleEventId: string;
  calendarId: string;
  summary: string;
  description: string | null;
  location: string | null;
  startTime: Date;
  endTime: Date;
  timeZone: string | null;
  allDay: boolean;
  meetLink: string | null;
  htmlLink: string | null;
  status: EventStatus;
  organizerEmail: string | null;
  attendees: Attendee[];
  etag: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns toEventDTO reads, for the queries that feed it (not `*`: less to send and parse). */
export const EVENT_COLUMNS =
  'id, google_event_id, calendar_id, summary, description, location, start_time, end_time, time_zone, all_day, meet_link, html_link, status, organizer_email, attendees, etag, created_at, updated_at';

/** A calendar_events row as PostgreSQL returns it (snake_case). */
export type EventRow = Record<string, unknown>;

const asDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const asText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * The one mapping from a stored event to what the API returns. Reads go straight from rows to
 * DTOs: hydrating ORM entities cost more than the query itself on a 250-event page.
 */
export function toEventDTO(row: EventRow): EventDTO {
  const attendees = (typeof row.attendees === 'string' ? JSON.parse(row.attendees) : (row.attendees ?? [])) as Attendee[];
  return {
    id: String(row.id),
    googleEventId: String(row.google_event_id),
    calendarId: String(row.calendar_id),
    summary: String(row.summary),
    description: asText(row.description),
    location: asText(row.location),
    startTime: asDate(row.start_time),
    endTime: asDate(row.end_time),
    timeZone: asText(row.time_zone),
    allDay: row.all_day === true,
    meetLink: asText(row.meet_link),
    htmlLink: asText(row.html_link),
    status: row.status as EventStatus,
    organizerEmail: asText(row.organizer_email),
    attendees: attendees.map((a) => ({ email: a.email, displayName: a.displayName ?? null, responseStatus: a.responseStatus })),
    etag: asText(row.etag),
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
  };
}
