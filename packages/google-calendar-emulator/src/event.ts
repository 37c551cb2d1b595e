/** Event resource shapes, validation of client input and rendering, the way Google does them. */
import { ApiError, invalidField, requiredField } from './errors.ts';
import { invalidRecurrence, validateSeries } from './recurrence.ts';
import { formatDateTime, isValidTimeZone, isoMs, parseDate, parseLocalDateTime, parseRfc3339 } from './time.ts';

export type JsonObject = { [key: string]: unknown };

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';
export type ResponseStatus = 'needsAction' | 'declined' | 'tentative' | 'accepted';

export interface EventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface Attendee {
  email: string;
  displayName?: string;
  organizer?: boolean;
  self?: boolean;
  optional?: boolean;
  responseStatus: ResponseStatus;
  comment?: string;
  additionalGuests?: number;
}

export interface ConferenceData {
  createRequest?: { requestId: string; conferenceSolutionKey: { type: string }; status: { statusCode: 'pending' | 'success' | 'failure' } };
  entryPoints?: { entryPointType: 'video'; uri: string; label: string }[];
  conferenceSolution?: { key: { type: string }; name: string; iconUri: string };
  conferenceId?: string;
}

export interface EventResource {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: EventStatus;
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  creator: { email: string; self?: boolean };
  organizer: { email: string; self?: boolean };
  start: EventDateTime;
  end: EventDateTime;
  iCalUID: string;
  sequence: number;
  attendees?: Attendee[];
  hangoutLink?: string;
  conferenceData?: ConferenceData;
  reminders: JsonObject;
  eventType: 'default';
  [passthrough: string]: unknown;
}

/**
 * What incremental sync and showDeleted lists return for a deleted event. A cancelled occurrence of a
 * recurring event also carries recurringEventId and originalStartTime ("only guaranteed" fields).
 */
export interface CancelledStub {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: 'cancelled';
  recurringEventId?: string;
  originalStartTime?: EventDateTime;
}

/** The part of an event a client may write (conference data is handled separately). */
export interface EventBody {
  status: EventStatus;
  summary?: string;
  description?: string;
  location?: string;
  start: EventDateTime;
  end: EventDateTime;
  attendees?: Attendee[];
  reminders: JsonObject;
  /** RRULE/EXRULE/RDATE/EXDATE lines: only on a series (the "master"), never on its instances. */
  recurrence?: string[];
  /** Fields we store and echo without interpreting (colorId, visibility, extendedProperties...). */
  extra: JsonObject;
}

export interface StoredEvent {
  id: string;
  calendarId: string;
  /** Position in the calendar's change log; strictly increases on every change. */
  changeSeq: number;
  /** The change seq of its creation (set by its first change). */
  createdSeq?: number;
  etag: string;
  createdMs: number;
  updatedMs: number;
  sequence: number;
  startMs: number;
  endMs: number;
  organizer: string;
  creator: string;
  body: EventBody;
  conference?: ConferenceData;
  /** Instances (a modified or cancelled occurrence, or one built from its series): the series' id. */
  recurringEventId?: string;
  /** Instances: where the series put this occurrence; identifies it even when moved. */
  originalStartMs?: number;
  originalStart?: EventDateTime;
}

const PASSTHROUGH_KEYS = [
  'colorId',
  'transparency',
  'visibility',
  'extendedProperties',
  'source',
  'guestsCanInviteOthers',
  'guestsCanModify',
  'guestsCanSeeOtherGuests',
  'anyoneCanAddSelf',
  'privateCopy',
  'locked',
  'attachments',
] as const;

const STATUSES: readonly string[] = ['confirmed', 'tentative', 'cancelled'];
const RESPONSE_STATUSES: readonly string[] = ['needsAction', 'declined', 'tentative', 'accepted'];

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(input: JsonObject, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidField(`Invalid value for: ${key}`);
  return v;
}

interface ParsedTime {
  time: EventDateTime;
  ms: number;
  allDay: boolean;
}

function parseTime(raw: unknown, which: 'start' | 'end'): ParsedTime {
  if (!isObject(raw) || (raw.date == null && raw.dateTime == null)) throw requiredField(`Missing ${which} time.`);
  const timeZone = raw.timeZone == null ? undefined : raw.timeZone;
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !isValidTimeZone(timeZone))) {
    throw invalidField(`Invalid time zone definition for ${which} time.`);
  }
  if (raw.date != null && raw.dateTime != null) throw invalidField(`Invalid ${which} time.`);
  if (raw.date != null) {
    const ms = typeof raw.date === 'string' ? parseDate(raw.date) : undefined;
    if (ms === undefined) throw invalidField(`Invalid ${which} time.`);
    const time: EventDateTime = { date: raw.date as string };
    if (timeZone !== undefined) time.timeZone = timeZone;
    return { time, ms, allDay: true };
  }
  if (typeof raw.dateTime !== 'string') throw invalidField(`Invalid ${which} time.`);
  let ms = parseRfc3339(raw.dateTime);
  if (ms === undefined) {
    if (timeZone === undefined) throw requiredField(`Missing time zone definition for ${which} time.`);
    ms = parseLocalDateTime(raw.dateTime, timeZone);
    if (ms === undefined) throw invalidField(`Invalid ${which} time.`);
  }
  const time: EventDateTime = { dateTime: formatDateTime(ms, timeZone) };
  if (timeZone !== undefined) time.timeZone = timeZone;
  return { time, ms, allDay: false };
}

function parseAttendees(raw: unknown, organizer: string): Attendee[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw invalidField('Invalid value for: attendees');
  const seen = new Map<string, Attendee>();
  for (const a of raw) {
    if (!isObject(a) || typeof a.email !== 'string' || a.email === '') throw requiredField('Missing attendee email.');
    const email = a.email.toLowerCase();
    const responseStatus = a.responseStatus ?? 'needsAction';
    if (typeof responseStatus !== 'string' || !RESPONSE_STATUSES.includes(responseStatus)) {
      throw invalidField('Invalid attendee response status.');
    }
    const attendee: Attendee = { email, responseStatus: responseStatus as ResponseStatus };
    const displayName = optionalString(a, 'displayName');
    if (displayName !== undefined) attendee.displayName = displayName;
    if (email === organizer) attendee.organizer = true;
    if (typeof a.optional === 'boolean') attendee.optional = a.optional;
    const comment = optionalString(a, 'comment');
    if (comment !== undefined) attendee.comment = comment;
    if (typeof a.additionalGuests === 'number') attendee.additionalGuests = a.additionalGuests;
    seen.set(email, attendee);
  }
  return [...seen.values()];
}

function parseRecurrenceField(raw: unknown, start: ParsedTime, rawStart: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.some((l) => typeof l !== 'string')) throw invalidRecurrence();
  if (raw.length === 0) return undefined;
  const lines = raw as string[];
  // Google needs a zone to expand in: an offset alone does not say where the daylight-saving switches are.
  if (!start.allDay && !(isObject(rawStart) && typeof rawStart.timeZone === 'string')) {
    throw requiredField('Missing time zone definition for start time.');
  }
  const timeZone = start.allDay ? 'UTC' : (start.time.timeZone ?? 'UTC');
  validateSeries({ recurrence: lines, startMs: start.ms, timeZone, allDay: start.allDay });
  return lines;
}

export interface ValidatedBody {
  body: EventBody;
  startMs: number;
  endMs: number;
}

/** Validates a complete writable body (insert, update, or a patch already merged onto the current event). */
export function validateBody(input: JsonObject, organizer: string): ValidatedBody {
  const start = parseTime(input.start, 'start');
  const end = parseTime(input.end, 'end');
  if (start.allDay !== end.allDay) throw invalidField('Start and end times must either both be date or both be dateTime.');
  if (end.ms <= start.ms) throw new ApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  const status = input.status ?? 'confirmed';
  if (typeof status !== 'string' || !STATUSES.includes(status)) throw invalidField('Invalid value for: status');
  const reminders = input.reminders ?? { useDefault: true };
  if (!isObject(reminders)) throw invalidField('Invalid value for: reminders');
  const body: EventBody = { status: status as EventStatus, start: start.time, end: end.time, reminders, extra: {} };
  const summary = optionalString(input, 'summary');
  if (summary !== undefined) body.summary = summary;
  const description = optionalString(input, 'description');
  if (description !== undefined) body.description = description;
  const location = optionalString(input, 'location');
  if (location !== undefined) body.location = location;
  const recurrence = parseRecurrenceField(input.recurrence, start, input.start);
  if (recurrence !== undefined) body.recurrence = recurrence;
  const attendees = parseAttendees(input.attendees, organizer);
  if (attendees !== undefined && attendees.length > 0) body.attendees = attendees;
  for (const key of PASSTHROUGH_KEYS) {
    if (input[key] !== undefined && input[key] !== null) body.extra[key] = input[key];
  }
  return { body, startMs: start.ms, endMs: end.ms };
}

/** The stored body as client-shaped JSON, so a patch can be merged onto it. */
export function bodyAsJson(body: EventBody): JsonObject {
  const { extra, ...known } = body;
  return { ...extra, ...known };
}

/**
 * Patch semantics: objects merge recursively, arrays and scalars replace, null clears.
 * start/end are the exception: switching between date and dateTime must drop the other key.
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === null) delete out[key];
    else if ((key === 'start' || key === 'end') && isObject(value) && isObject(current)) {
      const merged = mergePatch(current, value);
      if (value.date != null) delete merged.dateTime;
      if (value.dateTime != null) delete merged.date;
      out[key] = merged;
    } else if (isObject(value) && isObject(current)) out[key] = mergePatch(current, value);
    else out[key] = value;
  }
  return out;
}

function htmlLink(id: string, calendarId: string): string {
  return `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendarId}`).toString('base64url')}`;
}

/** `self` depends on who asks, so it is computed at render time, never stored. */
export function renderEvent(ev: StoredEvent, viewer: string | undefined): EventResource {
  const b = ev.body;
  const out: EventResource = {
    kind: 'calendar#event',
    etag: ev.etag,
    id: ev.id,
    status: b.status,
    htmlLink: htmlLink(ev.id, ev.calendarId),
    created: isoMs(ev.createdMs),
    updated: isoMs(ev.updatedMs),
    creator: ev.creator === viewer ? { email: ev.creator, self: true } : { email: ev.creator },
    organizer: ev.organizer === viewer ? { email: ev.organizer, self: true } : { email: ev.organizer },
    start: { ...b.start },
    end: { ...b.end },
    iCalUID: `${ev.recurringEventId ?? ev.id}@google.com`,
    sequence: ev.sequence,
    reminders: b.reminders,
    eventType: 'default',
  };
  if (b.summary !== undefined) out.summary = b.summary;
  if (b.description !== undefined) out.description = b.description;
  if (b.location !== undefined) out.location = b.location;
  if (b.recurrence !== undefined) out.recurrence = [...b.recurrence];
  if (ev.recurringEventId !== undefined) out.recurringEventId = ev.recurringEventId;
  if (ev.originalStart !== undefined) out.originalStartTime = { ...ev.originalStart };
  Object.assign(out, b.extra);
  if (b.attendees) out.attendees = b.attendees.map((a) => (a.email === viewer ? { ...a, self: true } : { ...a }));
  if (ev.conference) {
    const link = ev.conference.entryPoints?.[0]?.uri;
    if (link !== undefined) out.hangoutLink = link;
    out.conferenceData = ev.conference;
  }
  return out;
}

export function renderStub(ev: StoredEvent): CancelledStub {
  const stub: CancelledStub = { kind: 'calendar#event', etag: ev.etag, id: ev.id, status: 'cancelled' };
  if (ev.recurringEventId !== undefined) stub.recurringEventId = ev.recurringEventId;
  if (ev.originalStart !== undefined) stub.originalStartTime = { ...ev.originalStart };
  return stub;
}

/** Text search over the fields Google's `q` covers for our purposes. */
export function matchesText(ev: StoredEvent, needle: string): boolean {
  const b = ev.body;
  return [b.summary, b.description, b.location].some((s) => s !== undefined && s.toLowerCase().includes(needle));
}
