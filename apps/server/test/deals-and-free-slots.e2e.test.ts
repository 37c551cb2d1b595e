import { beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { failure } from './support/failure.ts';
import { at, eventually, useSystem } from './support/system.ts';

// Meetings tied to CRM records (links kept in Google as private extended properties, filtered
// from our table) and free/busy and free-slot search answered from our copy: real PostgreSQL,
// the emulator over HTTP through Google's client library, the server as `pnpm start` builds it.
const DOMAIN = 'deals.test';
const A = `rep.a@${DOMAIN}`;
const B = `rep.b@${DOMAIN}`;
const ADMIN = `boss@${DOMAIN}`;

const sys = useSystem({ env: { GOOGLE_WORKSPACE_DOMAINS: DOMAIN, AUTH_ADMIN_CLAIM: 'role', AUTH_ADMIN_VALUE: 'admin' } });
const users = {} as Record<'a' | 'b' | 'admin', UserClient>;

beforeAll(async () => {
  sys.emulator.control.addDomain(DOMAIN, { users: [A, B, ADMIN, `nobody@${DOMAIN}`] });
  users.a = await clientFor(sys.app.url, 'user-a', { email: A });
  users.b = await clientFor(sys.app.url, 'user-b', { email: B });
  users.admin = await clientFor(sys.app.url, 'user-admin', { email: ADMIN, claims: { role: 'admin' } });
  for (const u of Object.values(users)) await u.client.calendar.connect.mutate();
});

/** Google calls other than tokens, in all (the emulator's own counters). */
const googleCalls = () =>
  Object.entries(sys.emulator.control.stats())
    .filter(([op]) => op !== 'token')
    .reduce((n, [, count]) => n + (typeof count === 'number' ? count : 0), 0);

/** The private extended properties of an event as Google holds it. */
const googleProperties = (calendar: string, id: string) =>
  (sys.emulator.control.listEvents(calendar).find((e) => e.id === id) as { extendedProperties?: { private?: Record<string, string> } } | undefined)?.extendedProperties?.private;

/** All pages of a filtered listing, by summary. */
async function dealMeetings(u: UserClient, filter: { dealId: string } | { contactId: string }, limit = 2): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await u.client.calendar.listEvents.query({ ...filter, limit, cursor });
    out.push(...page.items.map((e) => e.summary));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('meetings linked to CRM records', () => {
  it('keeps the links in Google, through a person moving the meeting there and a full resync', async () => {
    const created = await users.a.client.calendar.createEvent.mutate({
      summary: 'Demo for Initech',
      startTime: at('2031-06-02T09:00:00Z'),
      endTime: at('2031-06-02T10:00:00Z'),
      links: { dealId: 'deal-42', contactIds: ['c-1', 'c-2', 'c-1'], companyId: 'co-7' },
    });
    expect(created.links).toEqual({ dealId: 'deal-42', contactIds: ['c-1', 'c-2'], companyId: 'co-7' });
    expect(googleProperties(A, created.googleEventId)).toMatchObject({ crmDealId: 'deal-42', crmContactIds: 'c-1,c-2', crmCompanyId: 'co-7' });

    // A person moves and renames it in Google Calendar: it still belongs to its deal.
    sys.emulator.control.editEvent(A, created.googleEventId, {
      summary: 'Demo for Initech (moved)',
      start: { dateTime: '2031-06-03T13:00:00Z' },
      end: { dateTime: '2031-06-03T14:00:00Z' },
    });
    await eventually(async () => expect((await users.a.client.calendar.getEvent.query({ id: created.id })).summary).toBe('Demo for Initech (moved)'));
    const moved = await users.a.client.calendar.getEvent.query({ id: created.id });
    expect(moved.startTime).toEqual(at('2031-06-03T13:00:00Z'));
    expect(moved.links).toEqual(created.links);

    // A full resync rebuilds the row from Google alone.
    await sys.sql.query(`update calendar_events set links = '{}', etag = null where id = $1`, [created.id]);
    await users.a.client.calendar.sync.mutate({ full: true });
    expect((await users.a.client.calendar.getEvent.query({ id: created.id })).links).toEqual(created.links);
  });

  it("lists a deal's meetings past and upcoming, only the caller's own, every rep's for an admin, with zero Google calls", async () => {
    const make = (u: UserClient, summary: string, start: string, links?: { dealId?: string; contactIds?: string[] }) =>
      u.client.calendar.createEvent.mutate({ summary, startTime: at(start), endTime: new Date(at(start).getTime() + 1_800_000), createMeetLink: false, ...(links ? { links } : {}) });
    await make(users.a, 'A: deal-77 kickoff (past)', '2026-01-10T09:00:00Z', { dealId: 'deal-77', contactIds: ['c-9'] });
    await make(users.a, 'A: deal-77 negotiation', '2031-07-01T09:00:00Z', { dealId: 'deal-77' });
    const closing = await make(users.a, 'A: deal-77 closing', '2031-07-08T09:00:00Z', { dealId: 'deal-77', contactIds: ['c-9', 'c-10'] });
    await make(users.a, 'A: other deal', '2031-07-02T09:00:00Z', { dealId: 'deal-78', contactIds: ['c-9'] });
    await make(users.a, 'A: no deal', '2031-07-03T09:00:00Z');
    await make(users.b, 'B: deal-77 technical review', '2031-07-04T09:00:00Z', { dealId: 'deal-77' });

    // Echoes of earlier writes (push -> sync) finish first: they are Google calls of their own.
    await sys.settle();
    const calls = googleCalls();
    expect(await dealMeetings(users.a, { dealId: 'deal-77' })).toEqual(['A: deal-77 kickoff (past)', 'A: deal-77 negotiation', 'A: deal-77 closing']);
    expect(await dealMeetings(users.b, { dealId: 'deal-77' })).toEqual(['B: deal-77 technical review']);
    expect(await dealMeetings(users.admin, { dealId: 'deal-77' })).toEqual([
      'A: deal-77 kickoff (past)',
      'A: deal-77 negotiation',
      'B: deal-77 technical review',
      'A: deal-77 closing',
    ]);
    // An admin naming a calendar sees that calendar's only.
    expect((await users.admin.client.calendar.listEvents.query({ dealId: 'deal-77', calendarId: B })).items.map((e) => e.summary)).toEqual(['B: deal-77 technical review']);
    expect(await dealMeetings(users.a, { contactId: 'c-9' })).toEqual(['A: deal-77 kickoff (past)', 'A: other deal', 'A: deal-77 closing']);
    // With a window: only what overlaps it.
    const windowed = await users.a.client.calendar.listEvents.query({ dealId: 'deal-77', timeMin: at('2031-01-01T00:00:00Z'), timeMax: at('2031-07-05T00:00:00Z') });
    expect(windowed.items.map((e) => e.summary)).toEqual(['A: deal-77 negotiation']);
    expect(googleCalls()).toBe(calls);

    // Cancelled: no longer among the deal's meetings.
    await users.a.client.calendar.cancelEvent.mutate({ id: closing.id });
    expect(await dealMeetings(users.a, { dealId: 'deal-77' })).toEqual(['A: deal-77 kickoff (past)', 'A: deal-77 negotiation']);
  });

  it('links a meeting a person made in Google afterwards, and unlinks it', async () => {
    const made = sys.emulator.control.createEvent(A, { summary: 'Lunch with the buyer', start: { dateTime: '2031-08-01T11:00:00Z' }, end: { dateTime: '2031-08-01T12:00:00Z' } });
    await sys.settle();
    const [row] = (await users.a.client.calendar.listEvents.query({ timeMin: at('2031-08-01T00:00:00Z'), timeMax: at('2031-08-02T00:00:00Z') })).items;
    expect(row?.googleEventId).toBe(made.id);
    expect(row?.links).toEqual({ dealId: null, contactIds: [], companyId: null });

    const linked = await users.a.client.calendar.updateEvent.mutate({ id: row?.id ?? '', links: { dealId: 'deal-90' } });
    expect(linked.links.dealId).toBe('deal-90');
    expect(googleProperties(A, made.id)).toMatchObject({ crmDealId: 'deal-90' });
    expect(await dealMeetings(users.a, { dealId: 'deal-90' })).toEqual(['Lunch with the buyer']);

    await users.a.client.calendar.updateEvent.mutate({ id: row?.id ?? '', links: {} });
    expect(await dealMeetings(users.a, { dealId: 'deal-90' })).toEqual([]);
    expect(googleProperties(A, made.id)).toMatchObject({ crmDealId: '' });
  });

  it('refuses bad links and filters with a field error, before Google', async () => {
    // Echoes of earlier writes (push -> sync) finish first: they are Google calls of their own.
    await sys.settle();
    const calls = googleCalls();
    const bad = await failure(
      users.a.client.calendar.createEvent.mutate({ summary: 'x', startTime: at('2031-08-02T09:00:00Z'), endTime: at('2031-08-02T10:00:00Z'), links: { dealId: 'deal 42' } }),
    );
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', fields: ['links.dealId'] });
    const tooMany = await failure(
      users.a.client.calendar.createEvent.mutate({ summary: 'x', startTime: at('2031-08-02T09:00:00Z'), endTime: at('2031-08-02T10:00:00Z'), links: { contactIds: Array.from({ length: 16 }, (_, i) => `c-${i}`) } }),
    );
    expect(tooMany).toMatchObject({ code: 'BAD_REQUEST', fields: ['links.contactIds'] });
    expect(await failure(users.a.client.calendar.listEvents.query({ dealId: 'd', contactId: 'c' }))).toMatchObject({ code: 'BAD_REQUEST', fields: ['contactId'] });
    expect(await failure(users.a.client.calendar.listEvents.query({}))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(googleCalls()).toBe(calls);
  });
});

describe('free/busy and free slots from our copy', () => {
  // B's week, made in Google by people: what counts as busy.
  beforeAll(async () => {
    const ev = (summary: string, start: string, end: string, extra: Record<string, unknown> = {}) =>
      sys.emulator.control.createEvent(B, { summary, start: { dateTime: start }, end: { dateTime: end }, ...extra });
    ev('B busy', '2027-03-01T10:00:00Z', '2027-03-01T11:00:00Z');
    ev('B overlapping', '2027-03-01T10:30:00Z', '2027-03-01T11:30:00Z');
    ev('B shown as free', '2027-03-01T12:00:00Z', '2027-03-01T13:00:00Z', { transparency: 'transparent' });
    ev('B declined', '2027-03-01T14:00:00Z', '2027-03-01T15:00:00Z', { attendees: [{ email: B, responseStatus: 'declined' }, { email: 'x@other.test' }] });
    ev('B accepted', '2027-03-01T16:00:00Z', '2027-03-01T16:30:00Z', { attendees: [{ email: B, responseStatus: 'accepted' }, { email: 'x@other.test' }] });
    const gone = ev('B cancelled', '2027-03-01T17:00:00Z', '2027-03-01T18:00:00Z');
    sys.emulator.control.deleteEvent(B, gone.id);
    sys.emulator.control.createEvent(B, { summary: 'B offsite (all day)', start: { date: '2027-03-02' }, end: { date: '2027-03-03' } });
    sys.emulator.control.createEvent(B, {
      summary: 'B weekly standup',
      start: { dateTime: '2027-03-01T08:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2027-03-01T08:15:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6'],
    });
    await users.b.client.calendar.sync.mutate();
    await sys.settle();
  });

  it('answers busy time per user: merged, not free/declined/cancelled, all-day days in the zone, occurrences once each; zero Google calls', async () => {
    // Echoes of earlier writes (push -> sync) finish first: they are Google calls of their own.
    await sys.settle();
    const calls = googleCalls();
    const answer = await users.a.client.calendar.freeBusy.query({
      timeMin: at('2027-03-01T00:00:00Z'),
      timeMax: at('2027-03-04T00:00:00Z'),
      users: [B.toUpperCase(), `nobody@${DOMAIN}`],
      timeZone: 'Europe/Berlin',
    });
    expect(googleCalls()).toBe(calls);
    expect(answer.calendars).toEqual([
      {
        user: B,
        error: null,
        busy: [
          { start: at('2027-03-01T07:00:00Z'), end: at('2027-03-01T07:15:00Z') }, // standup, 08:00 Berlin (CET)
          { start: at('2027-03-01T10:00:00Z'), end: at('2027-03-01T11:30:00Z') }, // two overlapping meetings, merged
          { start: at('2027-03-01T16:00:00Z'), end: at('2027-03-01T16:30:00Z') }, // accepted invitation
          { start: at('2027-03-01T23:00:00Z'), end: at('2027-03-02T23:00:00Z') }, // the all-day offsite: 2 March in Berlin
          { start: at('2027-03-03T07:00:00Z'), end: at('2027-03-03T07:15:00Z') }, // Wednesday's standup
        ],
      },
      { user: `nobody@${DOMAIN}`, error: 'notConnected', busy: [] },
    ]);
  });

  it("finds slots where everyone is free, in working hours in the zone across the DST switch, with a buffer", async () => {
    // A is busy 09:00-10:00 Berlin on Friday 26 March 2027; B 10:00-10:30. Clocks go forward on Sunday 28 March.
    const a = await users.a.client.calendar.createEvent.mutate({ summary: 'A prep', startTime: at('2027-03-26T08:00:00Z'), endTime: at('2027-03-26T09:00:00Z'), createMeetLink: false });
    sys.emulator.control.createEvent(B, { summary: 'B call', start: { dateTime: '2027-03-26T09:00:00Z' }, end: { dateTime: '2027-03-26T09:30:00Z' } });
    await users.b.client.calendar.sync.mutate();
    expect(a.startTime).toEqual(at('2027-03-26T08:00:00Z'));

    // Echoes of earlier writes (push -> sync) finish first: they are Google calls of their own.
    await sys.settle();
    const calls = googleCalls();
    const base = { duration: 30, users: [A, B], timeZone: 'Europe/Berlin' };
    const friday = await users.a.client.calendar.findSlots.query({ ...base, timeMin: at('2027-03-26T00:00:00Z'), timeMax: at('2027-03-27T00:00:00Z'), limit: 3 });
    expect(friday).toEqual({ users: [A, B], slots: [
      { start: at('2027-03-26T09:30:00Z'), end: at('2027-03-26T10:00:00Z') },
      { start: at('2027-03-26T10:00:00Z'), end: at('2027-03-26T10:30:00Z') },
      { start: at('2027-03-26T10:30:00Z'), end: at('2027-03-26T11:00:00Z') },
    ] });
    const buffered = await users.a.client.calendar.findSlots.query({ ...base, buffer: 15, timeMin: at('2027-03-26T00:00:00Z'), timeMax: at('2027-03-27T00:00:00Z'), limit: 1 });
    expect(buffered.slots).toEqual([{ start: at('2027-03-26T09:45:00Z'), end: at('2027-03-26T10:15:00Z') }]);
    // From Friday 16:45 Berlin: the last 15 minutes are too short, the weekend is no working time,
    // and Monday 09:00 is 07:00Z now that Berlin is on summer time.
    const monday = await users.a.client.calendar.findSlots.query({ ...base, timeMin: at('2027-03-26T15:45:00Z'), timeMax: at('2027-04-02T00:00:00Z'), limit: 1 });
    expect(monday.slots).toEqual([{ start: at('2027-03-29T07:00:00Z'), end: at('2027-03-29T07:30:00Z') }]);
    // Own working hours: Saturdays 10:00-12:00.
    const saturday = await users.a.client.calendar.findSlots.query({ ...base, workingHours: { start: '10:00', end: '12:00', days: [6] }, timeMin: at('2027-03-26T00:00:00Z'), timeMax: at('2027-04-02T00:00:00Z'), limit: 1 });
    expect(saturday.slots).toEqual([{ start: at('2027-03-27T09:00:00Z'), end: at('2027-03-27T09:30:00Z') }]);
    expect(googleCalls()).toBe(calls);

    const unknown = await failure(users.a.client.calendar.findSlots.query({ ...base, users: [A, `nobody@${DOMAIN}`], timeMin: at('2027-03-26T00:00:00Z'), timeMax: at('2027-03-27T00:00:00Z') }));
    expect(unknown).toMatchObject({ code: 'BAD_REQUEST', fields: ['users'] });
  });
});
