import { encodeCursor, entriesOf, EVENT_FIELDS, type EventDTO, type EventPage, type PageText, type TextParts } from '@calsync/calendar';
import type { SuperJSONResult } from 'superjson';
import { DATE, isoString, type Annotation } from '../transformer.ts';

/** An EventDTO as it travels in superjson's `json` part. */
type WireEvent = { [K in keyof EventDTO]: EventDTO[K] extends Date ? string : EventDTO[K] };

/** The API's Date fields, from the event shape: they travel as ISO strings with a 'Date' annotation. */
const DATE_FIELDS = entriesOf(EVENT_FIELDS).filter((f) => f.field.api && f.field.column.kind === 'timestamptz');
// One annotation object for every event of a page whose Dates are all set: superjson only reads it.
const EVENT_DATES: Readonly<Record<string, Annotation>> = Object.freeze(Object.fromEntries(DATE_FIELDS.map((f) => [f.name, DATE])));
const NULLABLE_DATES = DATE_FIELDS.filter((f) => f.field.column.nullable).map((f) => f.name);

/**
 * A listEvents page in superjson's wire format, written straight from the known shape of an
 * EventDTO instead of walking ~6,000 values to find the Dates: the same `json` as superjson's,
 * byte for byte (same keys, same order), and the annotations in superjson's nested tree form
 * (see serializeOutput). The Date fields come from the event shape; the tests decode pages with
 * superjson and compare them byte for byte.
 */
export function encodeEventPage(page: EventPage): SuperJSONResult {
  const { items } = page;
  const json: WireEvent[] = new Array<WireEvent>(items.length);
  const annotations: Record<number, Readonly<Record<string, Annotation>>> = {};
  for (let i = 0; i < items.length; i++) {
    const event = items[i] as EventDTO;
    json[i] = encodeEvent(event);
    annotations[i] = NULLABLE_DATES.length === 0 || NULLABLE_DATES.every((name) => (event as Record<string, unknown>)[name] !== null) ? EVENT_DATES : datesOf(event);
  }
  const data = { items: json, nextCursor: page.nextCursor };
  // Annotations first: see serializeOutput. (superjson's JSONValue type has no room for interfaces.)
  return (items.length > 0 ? { meta: { values: { items: annotations }, v: 1 }, json: data } : { json: data }) as unknown as SuperJSONResult;
}

/** The event with its Dates as strings: a copy of its own fields (same order), then the Dates replaced. */
function encodeEvent(e: EventDTO): WireEvent {
  const wire: Record<string, unknown> = { ...e };
  for (const { name } of DATE_FIELDS) {
    const value = wire[name];
    if (value instanceof Date) wire[name] = isoString(value);
  }
  return wire as WireEvent;
}

/** The annotation of an event with a null Date field (superjson annotates only Dates). */
function datesOf(e: EventDTO): Record<string, Annotation> {
  const values = e as Record<string, unknown>;
  return Object.fromEntries(DATE_FIELDS.filter((f) => values[f.name] instanceof Date).map((f) => [f.name, DATE]));
}

/**
 * The JSON of a listEvents page in superjson's wire format, in parts (joinUtf8), from a page PostgreSQL wrote
 * (listWindowJson, `api` style): the same bytes as JSON.stringify(encodeEventPage(page)), without
 * ever holding the events as values.
 */
export function pageWireJson(page: PageText): TextParts {
  const nextCursor = page.hasMore && page.last ? JSON.stringify(encodeCursor(page.last)) : 'null';
  const head = page.count > 0 ? `{"meta":{"values":{"items":${page.dates ?? '{}'}},"v":1},"json":{"items":` : '{"json":{"items":';
  return [head, ...page.items, `,"nextCursor":${nextCursor}}}`];
}

/** The REST list answer's JSON, in parts (joinUtf8), from a page PostgreSQL wrote (`rest` style). */
export function pageRestJson(page: PageText): TextParts {
  const nextCursor = page.hasMore && page.last ? JSON.stringify(encodeCursor(page.last)) : 'null';
  return ['{"items":', ...page.items, `,"next_cursor":${nextCursor}}`];
}
