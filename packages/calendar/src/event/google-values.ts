import type { GoogleEvent } from '@calsync/google';

/**
 * How the values we store are read from Google's event resource (the shape's `fromGoogle`
 * readers use these). Google's data is taken as it comes: a person can type anything into
 * Google, and nothing here may throw on an odd event or later syncs of the calendar would stop.
 */

/**
 * Text as PostgreSQL can store it: NUL characters are dropped and unpaired UTF-16 surrogates
 * become U+FFFD. One odd character must not make an event unstorable and block every later sync.
 */
export function storableText(value: string): string {
  return value.replaceAll('\u0000', '').toWellFormed();
}

export function storableOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : storableText(value);
}

/** All-day dates are stored as UTC midnight; the end stays exclusive, as Google has it. */
export function eventTime(t: GoogleEvent['start']): Date {
  if (t?.dateTime) return new Date(t.dateTime);
  if (t?.date) return new Date(`${t.date}T00:00:00Z`);
  throw new Error('event time without dateTime or date');
}

export function meetLinkOf(event: GoogleEvent): string | null {
  const video = event.conferenceData?.entryPoints?.find((e) => e.entryPointType === 'video');
  return video?.uri ?? event.hangoutLink ?? null;
}

/** One of `values`, or `fallback` for anything Google may add later. */
export function oneOfOr<const V extends readonly string[]>(values: V, value: string | null | undefined, fallback: V[number]): V[number] {
  return values.includes(value ?? '') ? (value as V[number]) : fallback;
}
