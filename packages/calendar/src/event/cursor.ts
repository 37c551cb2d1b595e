import { ValidationError } from '../errors.ts';

export interface ListPosition {
  startTime: Date;
  id: string;
}

/** Opaque keyset cursor: the (startTime, id) of the last item returned. */
export function encodeCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify([p.startTime.toISOString(), p.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Four-digit years: what a stored row can hold; anything else would fail the query, not match nothing. */
function isStorableTime(t: Date): boolean {
  const year = t.getUTCFullYear();
  return !Number.isNaN(year) && year >= 1 && year <= 9999;
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [start, id] = parsed as [unknown, unknown];
      const startTime = typeof start === 'string' ? new Date(start) : new Date(Number.NaN);
      if (isStorableTime(startTime) && typeof id === 'string' && UUID.test(id)) return { startTime, id };
    }
  } catch {
    // fall through: every undecodable cursor gets the same answer
  }
  throw new ValidationError('cursor', 'is not a cursor returned by a previous listEvents call');
}
