import fc from 'fast-check';
import superjson, { type SuperJSONResult } from 'superjson';
import { describe, expect, it } from 'vitest';
import { isoString, serializeOutput } from '../src/transformer.ts';

// The fast encoder must be indistinguishable from superjson: same wire format for every value.
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('a.b', 'x\\y', '.', '\\.', 'items', '0', 'v', 'meta', 'json'));
const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY),
  fc.bigInt(),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
})).node;

describe('serializeOutput', () => {
  it("decodes with superjson exactly as superjson's own encoding does, for arbitrary values", () => {
    const overTheWire = (wire: unknown): unknown => superjson.deserialize(JSON.parse(JSON.stringify(wire)) as SuperJSONResult);
    fc.assert(
      fc.property(value, (v) => {
        const ours = serializeOutput(v);
        const theirs = superjson.serialize(v);
        // The JSON part is byte for byte superjson's; the annotations may be in superjson's nested
        // tree form, which its decoder reads like the flattened one.
        expect(JSON.stringify(ours.json)).toBe(JSON.stringify(theirs.json));
        expect(overTheWire(ours)).toEqual(overTheWire(theirs));
        expect(ours.meta === undefined).toBe(theirs.meta === undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it('formats dates exactly as Date.prototype.toISOString, across the whole range of dates', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (d) => {
        expect(isoString(d)).toBe(d.toISOString());
      }),
      { numRuns: 20_000 },
    );
    const edges = [0, -1, 1, -86_400_000, -86_400_001, 86_399_999, 8.64e15, -8.64e15, Date.UTC(-1, 0, 1), Date.UTC(10_000, 0, 1), Date.UTC(2000, 1, 29, 23, 59, 59, 999)];
    for (const t of edges) expect(isoString(new Date(t))).toBe(new Date(t).toISOString());
  });

  it('decodes with superjson to the same value (an event page)', () => {
    const page = {
      items: Array.from({ length: 3 }, (_, i) => ({
        id: `id-${i}`,
        startTime: new Date(Date.UTC(2031, 0, i + 1)),
        endTime: new Date(Date.UTC(2031, 0, i + 1, 1)),
        description: null,
        attendees: [{ email: 'a@x.test', displayName: null, responseStatus: 'accepted' }],
      })),
      nextCursor: null,
    };
    const wire = serializeOutput(page);
    expect(wire.meta?.values).toEqual({ items: { 0: { startTime: ['Date'], endTime: ['Date'] }, 1: { startTime: ['Date'], endTime: ['Date'] }, 2: { startTime: ['Date'], endTime: ['Date'] } } });
    expect(superjson.deserialize(JSON.parse(JSON.stringify(wire)))).toEqual(page);
  });

  it('hands what it does not cover to superjson (shared references, Maps, class instances)', () => {
    const shared = { q: 1 };
    for (const v of [{ a: shared, b: shared }, new Map([[1, 2]]), { s: new Set([1]) }, new URL('https://x.test/')]) {
      expect(serializeOutput(v)).toEqual(superjson.serialize(v));
    }
  });
});
