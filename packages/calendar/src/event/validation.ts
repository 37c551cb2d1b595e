import { z } from 'zod';
import { storableText } from './google-values.ts';

/** What callers may send for an event's fields: the `input` of the shape's writable fields. */

/**
 * Times Google (RFC 3339, four-digit years, in any time zone) and PostgreSQL both represent
 * exactly; outside this range Google refuses or mangles them, or the database query fails.
 */
const MIN_TIME = new Date('1970-01-01T00:00:00.000Z');
const MAX_TIME = new Date('9999-01-01T00:00:00.000Z');

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

export const summaryInput = z.string().trim().min(1, 'must not be empty').max(1024).refine(storable, NOT_STORABLE);
export const descriptionInput = z.string().max(8192).refine(storable, NOT_STORABLE);
export const locationInput = z.string().max(1024).refine(storable, NOT_STORABLE);
export const timeInput = z
  .date()
  .min(MIN_TIME, 'must not be before 1970-01-01T00:00:00Z')
  .max(MAX_TIME, 'must not be after 9999-01-01T00:00:00Z');
export const timeZoneInput = z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');
export const attendeesInput = z
  .array(z.email('must be an email address'))
  .max(100)
  .transform((list) => [...new Set(list.map((e) => e.toLowerCase()))]);
