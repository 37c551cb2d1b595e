import { encodeCursor, entities, EventPage, fromGoogleEvent, isCancelledStub, joinUtf8, listWindow, listWindowJson, upsertGoogleEvents, type GoogleEventFields } from '@calsync/calendar';
import { useTestOrm } from '@calsync/db/testing/hooks';
import type { GoogleEvent } from '@calsync/google';
import fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeEventPage, pageRestJson, pageWireJson } from '../src/calendar/wire.ts';
import { toRestEvent } from '../src/rest/event.ts';

// The list page written by PostgreSQL (listWindowJson) is the same contract as the one this
// process encodes: byte for byte the JSON of superjson's wire form (tRPC) and of the REST answer,
// on random rows (odd characters, nulls, attendees, links, all-day, occurrences, cancelled rows,
// page boundaries, equal start times).
const orm = useTestOrm({ entities });
const CAL = 'page-json@acme.test';

beforeAll(async () => {
  await orm.em
    .fork()
    .execute(`insert into connected_calendars (calendar_id, subject, state, state_since, created_at, updated_at) values (?, ?, 'active', now(), now(), now()) on conflict do nothing`, [CAL, CAL]);
});
beforeEach(async () => {
  await orm.em.fork().execute(`delete from calendar_events where calendar_id = ?`, [CAL]);
});

/** Text a person could type into Google, JSON's special characters and key-like text over-represented. */
const oddText = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0001', '\u001f', '\u007f', '\u2028', '\u2029', '<', '&', "'", 'é', '😀', '\ud7ff', '\ue000') },
    // Values that look like camelCase keys: REST renames keys only (restJsonOf).
    { weight: 1, arbitrary: fc.constantFrom('"meetLink":', 'startTime":', '\\"aB":') },
    { weight: 5, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 12,
});
const BASE = Date.parse('2031-03-03T00:00:00Z');
const QUARTER = 900_000;
// Start times on a coarse grid, so equal starts (ties broken by id) are common.
const start = fc.integer({ min: 0, max: 7 * 96 }).map((q) => BASE + q * QUARTER);
const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);

const googleEvent = fc
  .record({
    startMs: start,
    length: fc.oneof(fc.integer({ min: 1, max: 8 }).map((q) => q * QUARTER), fc.constant(2 * 86_400_000), fc.constant(40 * 86_400_000)),
    allDay: fc.boolean(),
    summary: oddText,
    description: fc.option(oddText, { nil: undefined }),
    location: fc.option(oddText, { nil: undefined }),
    timeZone: fc.option(fc.constantFrom('Europe/Berlin', 'America/New_York'), { nil: undefined }),
    status: fc.constantFrom('confirmed', 'tentative', 'cancelled'),
    attendees: fc.array(fc.record({ email: fc.constantFrom('a@x.test', 'b"q@x.test', 'c\\d@x.test'), displayName: fc.option(oddText, { nil: undefined }), responseStatus: fc.constantFrom('accepted', 'declined', 'needsAction'), self: fc.boolean() }), { maxLength: 3 }),
    transparent: fc.boolean(),
    links: fc.option(fc.record({ crmDealId: fc.constantFrom('', 'deal-1', 'd:2'), crmContactIds: fc.constantFrom('', 'c-1', 'c-1,c-2'), crmCompanyId: oddText }), { nil: undefined }),
    occurrence: fc.boolean(),
    meet: fc.boolean(),
    updatedMs: fc.integer({ min: 0, max: 10_000_000 }),
  })
  .map((r, ): GoogleEvent => ({
    status: r.status,
    summary: r.summary,
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.location !== undefined ? { location: r.location } : {}),
    start: r.allDay ? { date: day(r.startMs) } : { dateTime: iso(r.startMs), ...(r.timeZone ? { timeZone: r.timeZone } : {}) },
    end: r.allDay ? { date: day(r.startMs + Math.max(r.length, 86_400_000)) } : { dateTime: iso(r.startMs + r.length) },
    attendees: r.attendees,
    ...(r.transparent ? { transparency: 'transparent' } : {}),
    ...(r.links ? { extendedProperties: { private: r.links } } : {}),
    ...(r.occurrence ? { recurringEventId: 'series0001', originalStartTime: { dateTime: iso(r.startMs) } } : {}),
    ...(r.meet ? { hangoutLink: 'https://meet.google.com/abc-defg-hij' } : {}),
    htmlLink: 'https://calendar.google.com/event?eid=x',
    organizer: { email: 'rep@acme.test' },
    etag: `"${r.updatedMs}"`,
    updated: new Date(Date.parse('2031-01-01T00:00:00Z') + r.updatedMs).toISOString(),
  }));

const events = fc.array(googleEvent, { minLength: 0, maxLength: 40 }).map((list) =>
  list.flatMap((e, i) => {
    const mapped = fromGoogleEvent({ ...e, id: `evt${String(i).padStart(5, '0')}` });
    return isCancelledStub(mapped) ? [] : [mapped as GoogleEventFields];
  }),
);

const query = fc.record({
  fromQ: fc.integer({ min: -8, max: 7 * 96 }),
  spanQ: fc.integer({ min: 1, max: 8 * 96 }),
  limit: fc.integer({ min: 1, max: 12 }),
  pages: fc.integer({ min: 1, max: 4 }),
});

describe('a list page written by PostgreSQL', () => {
  it('is byte for byte what the API encodes (superjson wire form) and what REST answers, page after page', async () => {
    await fc.assert(
      fc.asyncProperty(events, query, async (list, q) => {
        await orm.em.fork().execute(`delete from calendar_events where calendar_id = ?`, [CAL]);
        await upsertGoogleEvents(orm.em.fork(), CAL, list);
        const window = { calendarId: CAL, timeMin: new Date(BASE + q.fromQ * QUARTER), timeMax: new Date(BASE + (q.fromQ + q.spanQ) * QUARTER), limit: q.limit };
        let after: { startTime: Date; id: string } | undefined;
        for (let p = 0; p < q.pages; p++) {
          const { rows, hasMore } = await listWindow(orm.em.fork(), { ...window, after });
          const last = rows.at(-1);
          const nextCursor = hasMore && last ? encodeCursor(last) : null;
          const api = await listWindowJson(orm.em.fork(), { ...window, after }, 'api');
          const rest = await listWindowJson(orm.em.fork(), { ...window, after }, 'rest');
          expect(joinUtf8(pageWireJson(api)).toString()).toBe(JSON.stringify(encodeEventPage(new EventPage(rows, nextCursor))));
          expect(joinUtf8(pageRestJson(rest)).toString()).toBe(JSON.stringify({ items: rows.map(toRestEvent), next_cursor: nextCursor }));
          if (!hasMore || !last) break;
          after = { startTime: last.startTime, id: last.id };
        }
      }),
      { numRuns: 150 },
    );
  });
});
