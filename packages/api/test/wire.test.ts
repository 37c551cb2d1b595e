import { EventPage, toEventDTO, type EventDTO } from '@calsync/calendar';
import fc from 'fast-check';
import superjson, { type SuperJSONResult } from 'superjson';
import { describe, expect, it } from 'vitest';
import { encodeEventPage } from '../src/calendar/wire.ts';
import { createTransformer, knownOutput, serializeOutput } from '../src/transformer.ts';

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', 'a.b', 'x\\y', '"quoted"', '</script>', '\u2028'));
const nullableText = fc.option(text, { nil: null });
const date = fc.date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z') });

/** EventDTOs as the database hands them over: built by the one row mapping, toEventDTO. */
const event: fc.Arbitrary<EventDTO> = fc
  .record({
    id: fc.uuid(),
    google_event_id: text,
    calendar_id: text,
    summary: text,
    description: nullableText,
    location: nullableText,
    start_time: date,
    end_time: date,
    time_zone: nullableText,
    all_day: fc.boolean(),
    meet_link: nullableText,
    html_link: nullableText,
    status: fc.constantFrom('confirmed', 'tentative', 'cancelled'),
    organizer_email: nullableText,
    attendees: fc.array(fc.record({ email: text, displayName: nullableText, responseStatus: fc.constantFrom('accepted', 'needsAction', 'declined', 'tentative') }), { maxLength: 3 }),
    etag: nullableText,
    created_at: date,
    updated_at: date,
  })
  .map((row) => toEventDTO(row));

/** What plain superjson makes of the same page (as a plain object: superjson does not walk class instances). */
const superjsonOf = (page: EventPage): SuperJSONResult => superjson.serialize({ items: page.items, nextCursor: page.nextCursor });
const overTheWire = (wire: SuperJSONResult): unknown => superjson.deserialize(JSON.parse(JSON.stringify(wire)) as SuperJSONResult);

describe('encodeEventPage', () => {
  it("writes superjson's json byte for byte and decodes to the same page, for arbitrary events", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 5 }), fc.option(fc.string(), { nil: null }), (items, nextCursor) => {
        const page = new EventPage(items, nextCursor);
        const ours = encodeEventPage(page);
        const theirs = superjsonOf(page);
        expect(JSON.stringify(ours.json)).toBe(JSON.stringify(theirs.json));
        expect(overTheWire(ours)).toEqual(overTheWire(theirs));
        expect(overTheWire(ours)).toEqual({ items, nextCursor });
        expect(ours.meta === undefined).toBe(theirs.meta === undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('gives back Dates (the typed client sees Date objects, not strings)', () => {
    const start = new Date('2031-07-07T08:00:00.000Z');
    const page = new EventPage(
      [
        toEventDTO({
          id: '6f1c1d52-0c59-4b5e-9d39-1f7d4c3f0a11',
          google_event_id: 'g1',
          calendar_id: 'rep@example.com',
          summary: 'Intro call',
          start_time: '2031-07-07 08:00:00+00',
          end_time: '2031-07-07 08:30:00+00',
          all_day: false,
          status: 'confirmed',
          attendees: [],
          created_at: '2026-11-29 10:00:00.123456+00',
          updated_at: '2026-11-29 10:00:00.123456+00',
        }),
      ],
      null,
    );
    const decoded = overTheWire(encodeEventPage(page)) as { items: EventDTO[] };
    const [item] = decoded.items;
    expect(item?.startTime).toBeInstanceOf(Date);
    expect(item?.startTime.getTime()).toBe(start.getTime());
    expect(item?.createdAt.toISOString()).toBe('2026-11-29T10:00:00.123Z');
  });
});

describe('createTransformer', () => {
  const { serialize } = createTransformer([knownOutput(EventPage, encodeEventPage)]).output;

  it('encodes a page with its own encoder, and anything else with the generic one', () => {
    const page = new EventPage([], 'cursor');
    expect(serialize(page)).toEqual(encodeEventPage(page));
    const other = { at: new Date(0), items: [{ startTime: new Date(1) }] };
    expect(serialize(other)).toEqual(serializeOutput(other));
  });

  it('leaves the generic encoding alone when no known type matches (errors, plain values)', () => {
    for (const v of [null, undefined, 'text', 42, [new Date(5)], { code: 'NOT_FOUND' }]) expect(serialize(v)).toEqual(serializeOutput(v));
  });
});
