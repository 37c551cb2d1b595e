import type { GoogleEvent } from '@calsync/google';
import { entriesOf } from './field.ts';
import { oneOfOr } from './google-values.ts';
import type { EventWrite } from './inputs.ts';
import { EVENT_FIELDS, EVENT_STATUSES, type GoogleEventFields } from './shape.ts';

/** A cancelled event as incremental sync reports it: only id and status are reliable. */
export interface CancelledEventStub {
  googleEventId: string;
  status: 'cancelled';
  etag: string | null;
  /** A cancelled occurrence of a recurring series: the series' id (Google sends it with the stub). */
  recurringEventId?: string | null | undefined;
}

const FROM_GOOGLE = entriesOf(EVENT_FIELDS).flatMap(({ name, field }) => (field.fromGoogle ? [{ name, read: field.fromGoogle }] : []));
const WRITABLE = entriesOf(EVENT_FIELDS).flatMap(({ name, field }) => (field.write ? [{ name, write: field.write }] : []));

/**
 * Maps a full event resource to what we store (each field's `fromGoogle` in the shape). Returns
 * a stub for cancelled events that carry no times (what incremental sync sends for deletions).
 */
export function fromGoogleEvent(event: GoogleEvent): GoogleEventFields | CancelledEventStub {
  if (!event.id) throw new Error('Google event without id');
  if (!event.start || !event.end) {
    if (oneOfOr(EVENT_STATUSES, event.status, 'confirmed') === 'cancelled') {
      return { googleEventId: event.id, status: 'cancelled', etag: event.etag ?? null, recurringEventId: event.recurringEventId ?? null };
    }
    throw new Error(`Google event ${event.id} has no start/end`);
  }
  const fields: Record<string, unknown> = {};
  for (const { name, read } of FROM_GOOGLE) fields[name] = read(event);
  return fields as GoogleEventFields;
}

export function isCancelledStub(e: GoogleEventFields | CancelledEventStub): e is CancelledEventStub {
  return !('startTime' in e);
}

/** The request body for Google of what a caller sets (each writable field's `toGoogle` in the shape). */
export function toGoogleEventBody(write: EventWrite): GoogleEvent {
  const body: GoogleEvent = {};
  const values = write as Readonly<Record<string, unknown>>;
  const context = { timeZone: write.timeZone };
  for (const { name, write: spec } of WRITABLE) {
    const value = values[name];
    if (value !== undefined) spec.toGoogle(value, body, context);
  }
  return body;
}
