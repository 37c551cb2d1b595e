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
        expect(joinUtf8(parts)).toEqual(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
      }),
      { numRuns: 500 },
    );
  });

  it('joins a page-sized answer (past the shared pool of small Buffers) exactly', () => {
    const row = `{"summary":"Réunion 🗓 \\"Q3\\"","description":${JSON.stringify('x'.repeat(800))}}`;
    const parts = ['{"items":[', ...Array.from({ length: 250 }, (_, i) => (i === 0 ? row : `,${row}`)), ']}'];
    const joined = joinUtf8(parts);
    expect(joined.length).toBeGreaterThan(200_000);
    expect(joined).toEqual(Buffer.from(parts.join('')));
    expect((JSON.parse(joined.toString()) as { items: unknown[] }).items).toHaveLength(250);
  });
});
