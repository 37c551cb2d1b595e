import { EventService } from '@calsync/calendar';
import { toRestEventList } from '@calsync/api';
import superjson from 'superjson';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { at, useSystem } from './support/system.ts';

// A GET of calendar.listEvents is answered with the page PostgreSQL wrote as JSON text, put into
// tRPC's envelope without tRPC's adapter (apps/server/src/http/trpc.ts). The adapter still
// answers every other request: a batch of two listEvents calls goes through it, so the two
// answers can be compared byte for byte on the same data.
const sys = useSystem();
const window = { timeMin: at('2027-03-01T00:00:00Z'), timeMax: at('2027-03-15T00:00:00Z') };

beforeAll(async () => {
  await sys.reset();
  const odd = ['Quote "pricing" \\ review', 'Line\nbreak\tand\u0001control', 'Emoji 😀 and \u2028 separators', '<b>&amp;</b> é'];
  for (const [i, summary] of odd.entries()) {
    await sys.client.calendar.createEvent.mutate({
      summary,
      description: i % 2 === 0 ? `Agenda ${summary}` : undefined,
      location: i === 1 ? 'Room "7"' : undefined,
      startTime: at(`2027-03-0${2 + i}T10:00:00Z`),
      endTime: at(`2027-03-0${2 + i}T10:30:00Z`),
      timeZone: i === 2 ? 'Europe/Berlin' : undefined,
      attendees: i === 3 ? ['buyer@acme.example', 'cfo@acme.example'] : [],
      createMeetLink: i % 2 === 0,
      links: i === 0 ? { dealId: 'deal:1', contactIds: ['c-1', 'c-2'], companyId: 'acme' } : undefined,
    });
  }
  // Two at the same start (ties ordered by id) and a weekly meeting (occurrences).
  for (const summary of ['Tie A', 'Tie B']) await sys.client.calendar.createEvent.mutate({ summary, startTime: at('2027-03-08T09:00:00Z'), endTime: at('2027-03-08T09:15:00Z') });
  await sys.client.calendar.createEvent.mutate({
    summary: 'Weekly pipeline review',
    startTime: at('2027-03-01T16:00:00Z'),
    endTime: at('2027-03-01T16:30:00Z'),
    timeZone: 'America/New_York',
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'],
  });
  // A cancelled one, which no page lists.
  const gone = await sys.client.calendar.createEvent.mutate({ summary: 'Cancelled', startTime: at('2027-03-09T12:00:00Z'), endTime: at('2027-03-09T13:00:00Z') });
  await sys.client.calendar.cancelEvent.mutate({ id: gone.id });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const inputParam = (input: object) => encodeURIComponent(JSON.stringify(superjson.serialize(input)));
const get = async (path: string): Promise<{ status: number; text: string; type: string | null }> => {
  const res = await fetch(`${sys.app.url}${path}`, { headers: { authorization: `Bearer ${sys.token}` } });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
};

/** The same call three ways: alone, as a batch of one (the typed client's form), and through tRPC's adapter (a batch of two). */
async function threeWays(input: object) {
  const one = inputParam(input);
  const alone = await get(`/trpc/calendar.listEvents?input=${one}`);
  const batchOfOne = await get(`/trpc/calendar.listEvents?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: superjson.serialize(input) }))}`);
  const adapter = await get(
    `/trpc/calendar.listEvents,calendar.listEvents?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: superjson.serialize(input), 1: superjson.serialize(input) }))}`,
  );
  return { alone, batchOfOne, adapter };
}

describe('listEvents written as text', () => {
  it("answers with exactly the bytes tRPC's adapter sends, page after page, from the page PostgreSQL wrote", async () => {
    const written = vi.spyOn(EventService.prototype, 'listEventsText');
    const limit = 3;
    let cursor: string | null = null;
    let items = 0;
    let pages = 0;
    do {
      const input = { ...window, limit, ...(cursor ? { cursor } : {}) };
      const { alone, batchOfOne, adapter } = await threeWays(input);
      expect([alone.status, batchOfOne.status, adapter.status]).toEqual([200, 200, 200]);
      expect(alone.type).toBe('application/json');
      const [first] = JSON.parse(adapter.text) as unknown[];
      // The adapter's own text of one answer (JSON.stringify is canonical for what it wrote).
      const adapterOne = JSON.stringify(first);
      expect(alone.text).toBe(adapterOne);
      expect(batchOfOne.text).toBe(`[${adapterOne}]`);
      const page = superjson.deserialize<{ items: unknown[]; nextCursor: string | null }>((first as { result: { data: never } }).result.data);
      items += page.items.length;
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    // 4 + 2 ties + the occurrences of Mar 1 and 8 (not Mar 15 16:00, after the window); not the cancelled one.
    expect(items).toBe(8);
    expect(pages).toBe(3);
    // Each page twice (alone and batch of one) by PostgreSQL's JSON; the adapter's batches never.
    expect(written).toHaveBeenCalledTimes(2 * pages);
  });

  it('is the page the typed client reads', async () => {
    const written = vi.spyOn(EventService.prototype, 'listEventsText');
    const page = await sys.client.calendar.listEvents.query({ ...window, limit: 250 });
    expect(written).toHaveBeenCalledTimes(1);
    expect(page.items.map((e) => e.summary)).toContain('Emoji 😀 and \u2028 separators');
    expect(page.items.every((e) => e.startTime instanceof Date && e.endTime instanceof Date)).toBe(true);
    const linked = page.items.find((e) => e.links.dealId === 'deal:1');
    expect(linked?.links.contactIds).toEqual(['c-1', 'c-2']);
  });

  it("answers the REST list with the bytes of the REST shape, and a deal's meetings through the same contract", async () => {
    const written = vi.spyOn(EventService.prototype, 'listEventsText');
    const page = await sys.client.calendar.listEvents.query({ ...window, limit: 250 });
    const rest = await get(`/calendar/events?time_min=${window.timeMin.toISOString()}&time_max=${window.timeMax.toISOString()}&limit=250`);
    expect(rest.status).toBe(200);
    expect(rest.type).toBe('application/json; charset=utf-8');
    expect(rest.text).toBe(JSON.stringify(toRestEventList(page)));
    expect(written).toHaveBeenCalledTimes(2);

    // A deal's meetings: not a window (listLinked), encoded in this process, the same bytes.
    const deal = { dealId: 'deal:1' };
    const { alone, adapter } = await threeWays(deal);
    expect(alone.text).toBe(JSON.stringify((JSON.parse(adapter.text) as unknown[])[0]));
    const dealPage = await sys.client.calendar.listEvents.query(deal);
    expect(dealPage.items.map((e) => e.summary)).toEqual(['Quote "pricing" \\ review']);
    const restDeal = await get(`/calendar/events?deal_id=${encodeURIComponent(deal.dealId)}`);
    expect(restDeal.text).toBe(JSON.stringify(toRestEventList(dealPage)));
    expect(written).toHaveBeenCalledTimes(2);
  });

  it('leaves refusals to the adapter: the same typed errors as before', async () => {
    const backwards = await get(`/trpc/calendar.listEvents?input=${inputParam({ timeMin: window.timeMax, timeMax: window.timeMin })}`);
    expect(backwards.status).toBe(400);
    const body = JSON.parse(backwards.text) as { error: { json: { data: { code: string; fieldErrors: { field: string }[] } } } };
    expect(body.error.json.data.code).toBe('BAD_REQUEST');
    expect(body.error.json.data.fieldErrors.map((f) => f.field)).toEqual(['timeMax']);

    const badCursor = await get(`/trpc/calendar.listEvents?input=${inputParam({ ...window, cursor: 'not-a-cursor' })}`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.text).toContain('cursor');

    const anonymous = await fetch(`${sys.app.url}/trpc/calendar.listEvents?input=${inputParam(window)}`);
    expect(anonymous.status).toBe(401);
    const notJson = await get(`/trpc/calendar.listEvents?input=%7Bnope`);
    expect(notJson.status).toBe(400);
  });
});
