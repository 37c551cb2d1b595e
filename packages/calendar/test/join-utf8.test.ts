import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinUtf8 } from '../src/event/store.ts';

describe('joinUtf8 (a list page in parts, joined once)', () => {
  it('gives the bytes of the parts encoded one by one and concatenated, whatever the text', () => {
    // Any UTF-16 text: multi-byte characters, astral ones, lone surrogates (written as U+FFFD, as Buffer.from does).
    const part = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: fc.constantFrom('\ud83d', '\ude00', 'é', '"', '\\') }),
      fc.uint8Array().map((bytes) => Buffer.from(bytes)),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 40 }), (parts) => {
        expect(joinUtf8(parts).equals(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
