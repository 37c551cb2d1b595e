import type { EventDTO, EventPage } from '@calsync/calendar';
import type { SuperJSONResult } from 'superjson';
import { DATE, isoString, type Annotation } from '../transformer.ts';

/** The EventDTO fields that are Dates (and so travel as ISO strings with a 'Date' annotation). */
type DateKeys<T> = { [K in keyof T]-?: T[K] extends Date ? K : never }[keyof T];
/** An EventDTO as it travels in superjson's `json` part. */
type WireEvent = { [K in keyof EventDTO]: EventDTO[K] extends Date ? string : EventDTO[K] };

// One annotation object for every event of a page: superjson only reads it.
const EVENT_DATES: Readonly<Record<DateKeys<EventDTO>, Annotation>> = Object.freeze({ startTime: DATE, endTime: DATE, createdAt: DATE, updatedAt: DATE });

/**
 * A listEvents page in superjson's wire format, written straight from the known shape of an
 * EventDTO instead of walking ~6,000 values to find the Dates: the same `json` as superjson's,
 * byte for byte (same keys, same order), and the annotations in superjson's nested tree form
 * (see serializeOutput). The types tie both to EventDTO: a new field missing here, or a new Date
 * field without its annotation, fails to compile; the tests decode pages with superjson.
 */
export function encodeEventPage(page: EventPage): SuperJSONResult {
  const { items } = page;
  const json: WireEvent[] = new Array<WireEvent>(items.length);
  const annotations: Record<number, typeof EVENT_DATES> = {};
  for (let i = 0; i < items.length; i++) {
    json[i] = encodeEvent(items[i] as EventDTO);
    annotations[i] = EVENT_DATES;
  }
  const data = { items: json, nextCursor: page.nextCursor };
  // Annotations first: see serializeOutput. (superjson's JSONValue type has no room for interfaces.)
  return (items.length > 0 ? { meta: { values: { items: annotations }, v: 1 }, json: data } : { json: data }) as unknown as SuperJSONResult;
}

function encodeEvent(e: EventDTO): WireEvent {
  return {
    id: e.id,
    googleEventId: e.googleEventId,
    calendarId: e.calendarId,
    summary: e.summary,
    description: e.description,
    location: e.location,
    startTime: isoString(e.startTime),
    endTime: isoString(e.endTime),
    timeZone: e.timeZone,
    allDay: e.allDay,
    meetLink: e.meetLink,
    htmlLink: e.htmlLink,
    status: e.status,
    organizerEmail: e.organizerEmail,
    attendees: e.attendees,
    etag: e.etag,
    createdAt: isoString(e.createdAt),
    updatedAt: isoString(e.updatedAt),
  };
}
