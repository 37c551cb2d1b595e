import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/event/cursor.ts';
import { ValidationError } from '../src/errors.ts';

describe('list cursors', () => {
  it('round-trip the keyset position', () => {
    const pos = { startTime: new Date('2031-01-02T03:04:05.678Z'), id: '0b7c6a52-3d4e-4f00-8a11-2b3c4d5e6f70' };
    expect(decodeCursor(encodeCursor(pos))).toEqual(pos);
  });

  it.each(['', 'garbage', Buffer.from('["not a date","x"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')])(
    'reject %j as a cursor field error',
    (bad) => {
      expect(() => decodeCursor(bad)).toThrow(ValidationError);
      try {
        decodeCursor(bad);
      } catch (err) {
        expect((err as ValidationError).field).toBe('cursor');
      }
    },
  );
});
