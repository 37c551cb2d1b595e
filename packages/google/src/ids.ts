import { createHash, randomBytes } from 'node:crypto';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

function toBase32Hex(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The Google event id for a create. Google accepts client-chosen ids (base32hex, 5-1024 chars)
 * and answers 409 to a repeat, so deriving the id from the caller's idempotency key (scoped to
 * the user and calendar) turns any retry of the same create into exactly one event.
 */
export function googleEventIdFor(scope: { userId: string; calendarId: string }, idempotencyKey?: string): string {
  if (!idempotencyKey) return toBase32Hex(randomBytes(20));
  const digest = createHash('sha256').update(`${scope.calendarId}\u0000${scope.userId}\u0000${idempotencyKey}`).digest();
  return toBase32Hex(digest);
}
