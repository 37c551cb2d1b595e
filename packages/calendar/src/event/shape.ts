import { z } from 'zod';
import { jsonText } from './json-text.ts';
import { bool, json, local, nullable, oneOf, synced, text, timestamp, uuid, type ApiKeys, type GoogleKeys, type RecordOf } from './field.ts';
import { eventTime, meetLinkOf, oneOfOr, storableOrNull, storableText } from './google-values.ts';
import { linksFromGoogle, linksFromJson, linksInput, linksToGoogle, type EventLinks } from './links.ts';
import { attendeesInput, descriptionInput, locationInput, summaryInput, timeInput, timeZoneInput } from './validation.ts';

/**
 * THE event: every field of a stored calendar event, declared once. The ORM entity and the
 * table's column lists, the row -> DTO mapping, the guarded upsert, the mapping from Google's
 * event, the tRPC wire form, the REST form and its OpenAPI schema, and the create/update inputs
 * are all derived from this table. Adding a field: an entry here, a migration
 * (`pnpm --filter @calsync/calendar migration:create <name>`), and a test.
 *
 * Order matters: it is the order of the API's fields.
 */

/** Google's event statuses; stored as text with a CHECK, so a new status fails loudly instead of being stored. */
export const EVENT_STATUSES = ['confirmed', 'tentative', 'cancelled'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const RESPONSE_STATUSES = ['needsAction', 'accepted', 'declined', 'tentative'] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

export interface Attendee {
  email: string;
  displayName: string | null;
  responseStatus: ResponseStatus;
}

const attendees = json({
  sqlDefault: [],
  fromJson: (stored): Attendee[] =>
    ((stored ?? []) as Attendee[]).map((a) => ({ email: a.email, displayName: a.displayName ?? null, responseStatus: a.responseStatus })),
  rest: {
    schema: z.array(z.object({ email: z.string(), display_name: z.string().nullable(), response_status: z.enum(RESPONSE_STATUSES) })),
    encode: (list: Attendee[]) => list.map((a) => ({ email: a.email, display_name: a.displayName, response_status: a.responseStatus })),
  },
  sqlJson: (c) =>
    `coalesce((select '[' || string_agg('{"email":' || ${jsonText(`a->>'email'`)} || ',"displayName":' || ${jsonText(`a->>'displayName'`)} || ',"responseStatus":' || ${jsonText(`a->>'responseStatus'`)} || '}', ',' order by n) || ']' from jsonb_array_elements(${c}) with ordinality as t(a, n)), '[]')`,
});

/** Busy or free in free/busy answers ("Show as" in Google Calendar). */
export const TRANSPARENCIES = ['opaque', 'transparent'] as const;
export type Transparency = (typeof TRANSPARENCIES)[number];

const links = json({
  sqlDefault: {},
  description: "The CRM records the meeting belongs to (kept in Google as private extended properties)",
  fromJson: linksFromJson,
  rest: {
    schema: z.object({ deal_id: z.string().nullable(), contact_ids: z.array(z.string()), company_id: z.string().nullable() }),
    encode: (l: EventLinks) => ({ deal_id: l.dealId, contact_ids: l.contactIds, company_id: l.companyId }),
  },
  sqlJson: (c) => {
    const contacts = `coalesce((select '[' || string_agg(to_json(x)::text, ',' order by n) || ']' from jsonb_array_elements_text(case when jsonb_typeof(${c}->'contactIds') = 'array' then ${c}->'contactIds' else '[]'::jsonb end) with ordinality as u(x, n)), '[]')`;
    return `'{"dealId":' || ${jsonText(`${c}->>'dealId'`)} || ',"contactIds":' || ${contacts} || ',"companyId":' || ${jsonText(`${c}->>'companyId'`)} || '}'`;
  },
});

export const EVENT_FIELDS = {
  id: local(uuid(), 'id'),
  googleEventId: synced(text(), (e) => e.id ?? ''),
  calendarId: local(text(), 'calendar'),
  summary: synced(text(), (e) => storableText(e.summary ?? ''), {
    write: { input: summaryInput, required: true, toGoogle: (v, body) => void (body.summary = v) },
  }),
  description: synced(nullable(text()), (e) => storableOrNull(e.description), {
    write: { input: descriptionInput, required: false, toGoogle: (v, body) => void (body.description = v) },
  }),
  location: synced(nullable(text()), (e) => storableOrNull(e.location), {
    write: { input: locationInput, required: false, toGoogle: (v, body) => void (body.location = v) },
  }),
  startTime: synced(timestamp(), (e) => eventTime(e.start), {
    write: { input: timeInput, required: true, toGoogle: (v, body, { timeZone }) => void (v && (body.start = { dateTime: v.toISOString(), ...(timeZone ? { timeZone } : {}) })) },
  }),
  endTime: synced(timestamp(), (e) => eventTime(e.end), {
    write: { input: timeInput, required: true, toGoogle: (v, body, { timeZone }) => void (v && (body.end = { dateTime: v.toISOString(), ...(timeZone ? { timeZone } : {}) })) },
  }),
  timeZone: synced(nullable(text({ description: 'IANA time zone the event was created in, e.g. Europe/Berlin' })), (e) => e.start?.timeZone ?? null, {
    // Sent with the start and end it applies to.
    write: { input: timeZoneInput, required: false, toGoogle: () => undefined },
  }),
  allDay: synced(bool({ sqlDefault: false }), (e) => Boolean(e.start?.date && !e.start.dateTime)),
  meetLink: synced(nullable(text({ description: 'Google Meet URL; null when none was asked for or Google has not made it yet' })), meetLinkOf),
  htmlLink: synced(nullable(text()), (e) => e.htmlLink ?? null),
  status: synced(oneOf(EVENT_STATUSES), (e) => oneOfOr(EVENT_STATUSES, e.status, 'confirmed')),
  organizerEmail: synced(nullable(text()), (e) => e.organizer?.email ?? null),
  attendees: synced(
    attendees,
    (e) =>
      (e.attendees ?? []).flatMap((a) =>
        a.email ? [{ email: storableText(a.email), displayName: storableOrNull(a.displayName), responseStatus: oneOfOr(RESPONSE_STATUSES, a.responseStatus, 'needsAction') }] : [],
      ),
    { write: { input: attendeesInput, required: false, toGoogle: (v, body) => void (v && (body.attendees = v.map((email) => ({ email })))) } },
  ),
  transparency: synced(oneOf(TRANSPARENCIES, { sqlDefault: 'opaque', description: 'opaque: the time shows as busy; transparent: as free' }), (e) => oneOfOr(TRANSPARENCIES, e.transparency, 'opaque'), {
    write: { input: z.enum(TRANSPARENCIES), required: false, toGoogle: (v, body) => void (v && (body.transparency = v)) },
  }),
  // The calendar owner's answer when invited (null: they organise it or are not on the list).
  selfResponseStatus: synced(
    nullable(oneOf(RESPONSE_STATUSES, { description: "The calendar owner's answer to the invitation; null when they organise the meeting" })),
    (e) => {
      const self = e.attendees?.find((a) => a.self);
      return self ? oneOfOr(RESPONSE_STATUSES, self.responseStatus, 'needsAction') : null;
    },
  ),
  // An occurrence of a recurring meeting: its series (Google's id of the series) and where the
  // occurrence would be by the series' rule (it identifies the occurrence even when it was moved).
  recurringEventId: synced(nullable(text({ description: "An occurrence of a recurring meeting: the series' Google id (null for a one-off event)" })), (e) => e.recurringEventId ?? null),
  originalStartTime: synced(
    nullable(timestamp({ description: 'An occurrence: where the series put it, even if it was moved (null for a one-off event)' })),
    (e) => (e.originalStartTime?.dateTime || e.originalStartTime?.date ? eventTime(e.originalStartTime) : null),
  ),
  links: synced(links, linksFromGoogle, { write: { input: linksInput, required: false, toGoogle: (v, body) => void (v && linksToGoogle(v, body)) } }),
  etag: synced(nullable(text({ description: 'Send it back as If-Match on PATCH to refuse overwriting a newer version' })), (e) => e.etag ?? null),
  // Google's `updated`: guards the upsert against older data (never shown).
  googleUpdatedAt: synced(nullable(timestamp()), (e) => (e.updated ? new Date(e.updated) : null), { api: false }),
  createdAt: local(timestamp(), 'created'),
  updatedAt: local(timestamp(), 'updated'),
} as const;

export type EventFields = typeof EVENT_FIELDS;
/** A whole stored event. */
export type EventRecord = RecordOf<EventFields>;
/** What the API returns for an event: never the ORM entity itself. */
export type EventDTO = Pick<EventRecord, ApiKeys<EventFields>>;
/** A Google event reduced to what we store. */
export type GoogleEventFields = Pick<EventRecord, GoogleKeys<EventFields>>;
