import { storableText } from '@calsync/google';
import { z } from 'zod';

export const MAX_PAGE_SIZE = 2500;
export const DEFAULT_PAGE_SIZE = 250;
/** listEvents windows longer than this are refused: a calendar view never needs more. */
export const MAX_WINDOW_MS = 366 * 24 * 60 * 60 * 1000;

/**
 * Times Google (RFC 3339, four-digit years, in any time zone) and PostgreSQL both represent
 * exactly; outside this range Google refuses or mangles them, or the database query fails.
 */
export const MIN_TIME = new Date('1970-01-01T00:00:00.000Z');
export const MAX_TIME = new Date('9999-01-01T00:00:00.000Z');

function isTimeZone(tz: string): boolean {
  // Intl also accepts UTC offsets such as "+05:00", which are no IANA zone and which Google refuses.
  if (/^[+-]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Text PostgreSQL cannot store as given (NUL, unpaired surrogates) would fail after Google made the event. */
const storable = (s: string): boolean => storableText(s) === s;
const NOT_STORABLE = 'must not contain NUL characters or unpaired surrogates';

const summary = z.string().trim().min(1, 'must not be empty').max(1024).refine(storable, NOT_STORABLE);
const description = z.string().max(8192).refine(storable, NOT_STORABLE);
const location = z.string().max(1024).refine(storable, NOT_STORABLE);
const time = z
  .date()
  .min(MIN_TIME, 'must not be before 1970-01-01T00:00:00Z')
  .max(MAX_TIME, 'must not be after 9999-01-01T00:00:00Z');
const timeZone = z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');
const attendees = z
  .array(z.email('must be an email address'))
  .max(100)
  .transform((list) => [...new Set(list.map((e) => e.toLowerCase()))]);
const eventId = z.uuid('must be an event id returned by this API');

export const createEventInput = z
  .strictObject({
    summary,
    description: description.optional(),
    location: location.optional(),
    startTime: time,
    endTime: time,
    timeZone: timeZone.optional(),
    attendees: attendees.optional(),
    createMeetLink: z.boolean().default(true),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .refine((v) => v.endTime.getTime() > v.startTime.getTime(), { path: ['endTime'], message: 'must be after startTime' });

export const listEventsInput = z
  .strictObject({
    timeMin: time,
    timeMax: time,
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: z.string().max(512).nullish(),
  })
  .refine((v) => v.timeMax.getTime() > v.timeMin.getTime(), { path: ['timeMax'], message: 'must be after timeMin' })
  .refine((v) => v.timeMax.getTime() - v.timeMin.getTime() <= MAX_WINDOW_MS, {
    path: ['timeMax'],
    message: 'the window may span at most 366 days',
  });

export const eventIdInput = z.strictObject({ id: eventId });

export const updateEventInput = z
  .strictObject({
    id: eventId,
    summary: summary.optional(),
    description: description.nullable().optional(),
    location: location.nullable().optional(),
    startTime: time.optional(),
    endTime: time.optional(),
    timeZone: timeZone.nullable().optional(),
    attendees: attendees.optional(),
    expectedEtag: z.string().min(1).max(256).optional(),
  })
  .refine((v) => !v.startTime || !v.endTime || v.endTime.getTime() > v.startTime.getTime(), {
    path: ['endTime'],
    message: 'must be after startTime',
  });

export const watchInput = z.strictObject({}).optional();

export const syncInput = z.strictObject({ full: z.boolean().default(false) }).optional();
