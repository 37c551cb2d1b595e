import type { EventDTO } from '@calsync/calendar';
import { z } from 'zod';

/**
 * The event as the seed's REST API answered it: the EventDTO in snake_case with ISO 8601
 * strings. A zod schema (not only a type) because the OpenAPI document is generated from it.
 */
export const restEvent = z.object({
  id: z.uuid(),
  google_event_id: z.string(),
  calendar_id: z.string(),
  summary: z.string(),
  description: z.string().nullable(),
  location: z.string().nullable(),
  start_time: z.iso.datetime(),
  end_time: z.iso.datetime(),
  time_zone: z.string().nullable().describe('IANA time zone the event was created in, e.g. Europe/Berlin'),
  all_day: z.boolean(),
  meet_link: z.string().nullable().describe('Google Meet URL; null when none was asked for or Google has not made it yet'),
  html_link: z.string().nullable(),
  status: z.enum(['confirmed', 'tentative', 'cancelled']),
  organizer_email: z.string().nullable(),
  attendees: z.array(
    z.object({
      email: z.string(),
      display_name: z.string().nullable(),
      response_status: z.enum(['needsAction', 'accepted', 'declined', 'tentative']),
    }),
  ),
  etag: z.string().nullable().describe('Send it back as If-Match on PATCH to refuse overwriting a newer version'),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export type RestEvent = z.output<typeof restEvent>;

export const restEventList = z.object({
  items: z.array(restEvent),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export const restWatchChannel = z.object({
  channel_id: z.string(),
  resource_id: z.string(),
  expiration: z.iso.datetime(),
});

export const restError = z.object({
  error: z.object({
    code: z.string().describe('The tRPC error code, e.g. BAD_REQUEST, UNAUTHORIZED, PRECONDITION_FAILED'),
    message: z.string(),
    fields: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('For BAD_REQUEST: each wrong field (snake_case, `attendees.1` for list items)'),
  }),
});

/** Every EventDTO field is listed, so a field added to the DTO fails to compile here until mapped. */
export function toRestEvent(e: EventDTO): RestEvent {
  return {
    id: e.id,
    google_event_id: e.googleEventId,
    calendar_id: e.calendarId,
    summary: e.summary,
    description: e.description,
    location: e.location,
    start_time: e.startTime.toISOString(),
    end_time: e.endTime.toISOString(),
    time_zone: e.timeZone,
    all_day: e.allDay,
    meet_link: e.meetLink,
    html_link: e.htmlLink,
    status: e.status,
    organizer_email: e.organizerEmail,
    attendees: e.attendees.map((a) => ({ email: a.email, display_name: a.displayName, response_status: a.responseStatus })),
    etag: e.etag,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  } satisfies Record<SnakeKeys<keyof EventDTO>, unknown>;
}

/** 'googleEventId' -> 'google_event_id', at the type level: the check that no DTO field is forgotten. */
type SnakeKeys<K extends string> = K extends `${infer Head}${infer Tail}`
  ? `${Head extends Uppercase<Head> ? (Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`) : Head}${SnakeKeys<Tail>}`
  : K;
