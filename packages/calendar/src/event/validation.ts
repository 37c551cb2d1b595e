import { z } from 'zod';
import { storableText } from './google-values.ts';

/** What callers may send for an event's fields: the `input` of the shape's writable fields. */

/**
 * Times Google (RFC 3339, four-digit years, in any time zone) and PostgreSQL both represent
 * exactly; outside this range Google refuses or mangles them, or the database query fails.
 */
const MIN_TIME = new Date('1970-01-01T00:00:00.000Z');
const MAX_TIME = new Date('9999-01-01T00:00:00.000Z');

/**
 * Names found valid. Building an Intl.DateTimeFormat to check one costs ~0.2 ms, on every request
 * that names a zone; the valid names are few (IANA's list, in the spellings clients send). Refused
 * names are not remembered, so junk cannot fill this; the bound only guards against case variants.
 */
const validTimeZones = new Set<string>();
const MAX_REMEMBERED_ZONES = 2000;

function isTimeZone(tz: string): boolean {
  if (validTimeZones.has(tz)) return true;
  // Intl also accepts UTC offsets such as "+05:00", which are no IANA zone and which Google refuses.
  if (/^[+-]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return false;
  }
  if (validTimeZones.size < MAX_REMEMBERED_ZONES) validTimeZones.add(tz);
  return true;
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
