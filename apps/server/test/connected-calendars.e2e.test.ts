import type { CalendarChangeMessage, CalendarClient } from '@calsync/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { failure } from './support/failure.ts';
import { at, eventually, useSystem } from './support/system.ts';

// Each rep of a Workspace domain connects their own Google calendar (domain-wide delegation)
// and reaches only it: real PostgreSQL, the emulator over HTTP, the server as `pnpm start`
// builds it, the typed client.
const DOMAIN = 'acme.test';
const A = `rep.a@${DOMAIN}`;
const B = `rep.b@${DOMAIN}`;
const C = `rep.c@${DOMAIN}`;
const D = `rep.d@${DOMAIN}`;
const ADMIN = `boss@${DOMAIN}`;

const sys = useSystem({ env: { GOOGLE_WORKSPACE_DOMAINS: `${DOMAIN},beta.test`, AUTH_ADMIN_CLAIM: 'app_metadata.role', AUTH_ADMIN_VALUE: 'calendar-admin' } });
const users: Record<'a' | 'b' | 'c' | 'd' | 'admin' | 'outsider' | 'nomail', UserClient> = {} as never;

beforeAll(async () => {
  sys.emulator.control.addDomain(DOMAIN, { users: [A, B, C, D, ADMIN] });
  sys.emulator.control.addDomain('beta.test', { users: ['rep@beta.test'] });
  const as = (sub: string, email?: string, claims?: Record<string, unknown>) => clientFor(sys.app.url, sub, { ...(email ? { email } : {}), ...(claims ? { claims } : {}) });
  Object.assign(users, {
    a: await as('user-a', A),
    b: await as('user-b', B),
    c: await as('user-c', C),
    d: await as('user-d', D),
    admin: await as('user-admin', ADMIN, { app_metadata: { role: 'calendar-admin' } }),
    outsider: await as('user-x', 'someone@other.test'),
    nomail: await as('user-nomail'),
  });
  await users.a.client.calendar.connect.mutate();
  await users.b.client.calendar.connect.mutate();
});

const meeting = (summary: string) => ({ summary, startTime: at('2031-05-05T10:00:00Z'), endTime: at('2031-05-05T10:30:00Z') });
const googleCalls = () => {
  const s = sys.emulator.control.stats();
  return Object.entries(s)
    .filter(([op]) => op !== 'token')
    .reduce((n, [, count]) => n + (typeof count === 'number' ? count : 0), 0);
};

/** Subscribes to calendar.onChange and records what arrives. */
function listen(client: CalendarClient) {
  const messages: CalendarChangeMessage[] = [];
  let started = false;
  const sub = client.calendar.onChange.subscribe(undefined, { onStarted: () => (started = true), onData: (m) => messages.push(m) });
  return { messages, started: () => eventually(() => expect(started).toBe(true)), stop: () => sub.unsubscribe() };
}

describe('connecting a rep\'s own calendar', () => {
  it('tells a rep with no connected calendar to connect, then connects it with its channel and an initial sync', async () => {
    const c = users.c.client;
    const notConnected = await failure(c.calendar.listEvents.query({ timeMin: at('2031-05-01T00:00:00Z'), timeMax: at('2031-05-08T00:00:00Z') }));
    expect(notConnected).toMatchObject({ code: 'PRECONDITION_FAILED', reason: 'calendar_not_connected' });
    expect(await c.calendar.connection.query()).toMatchObject({ mode: 'delegation', calendar: null, canConnect: true, admin: false });

    // Something already in C's Google calendar arrives with the initial sync.
    sys.emulator.control.createEvent(C, { summary: 'made in Google before connecting', start: { dateTime: '2031-05-06T09:00:00Z' }, end: { dateTime: '2031-05-06T10:00:00Z' } });
    const connected = await c.calendar.connect.mutate();
    expect(connected).toMatchObject({ calendarId: C, subject: C, ownerId: 'user-c', state: 'active' });
    expect(connected.channelExpiration?.getTime()).toBeGreaterThan(Date.now());
    const week = await c.calendar.listEvents.query({ timeMin: at('2031-05-01T00:00:00Z'), timeMax: at('2031-05-08T00:00:00Z') });
    expect(week.items.map((e) => [e.summary, e.calendarId])).toEqual([['made in Google before connecting', C]]);

    // Connecting again changes nothing: no new channel at Google.
    const watches = sys.emulator.control.stats()['events.watch'];
    const again = await c.calendar.connect.mutate();
    expect(again.channelExpiration).toEqual(connected.channelExpiration);
    expect(sys.emulator.control.stats()['events.watch']).toBe(watches);
    expect((await c.calendar.connection.query()).calendar).toMatchObject({ calendarId: C, state: 'active' });
  });

  it('refuses what cannot be connected, saying what to do', async () => {
    const outside = await failure(users.outsider.client.calendar.connect.mutate());
    expect(outside).toMatchObject({ code: 'FORBIDDEN', reason: 'domain_not_allowed' });
    expect(outside.message).toMatch(/other\.test is not one of .*GOOGLE_WORKSPACE_DOMAINS/);

    const noEmail = await failure(users.nomail.client.calendar.connect.mutate());
    expect(noEmail).toMatchObject({ code: 'FORBIDDEN', reason: 'no_email' });

    const ghost = await failure(users.admin.client.calendar.connect.mutate({ userEmail: `ghost@${DOMAIN}` }));
    expect(ghost).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown_user' });
    expect(ghost.message).toMatch(/no active Workspace user ghost@acme\.test/);

    const notAdmin = await failure(users.a.client.calendar.connect.mutate({ userEmail: C }));
    expect(notAdmin).toMatchObject({ code: 'FORBIDDEN', reason: 'not_admin' });

    // Delegation granted for acme.test only: beta.test is allowed here but not in Google's Admin console.
    sys.emulator.registerServiceAccount(sys.key, { domainWideDelegation: [DOMAIN] });
    try {
      const beta = await clientFor(sys.app.url, 'user-beta', { email: 'rep@beta.test' });
      const denied = await failure(beta.client.calendar.connect.mutate());
      expect(denied).toMatchObject({ code: 'FORBIDDEN', reason: 'delegation_not_allowed' });
      expect(denied.message).toMatch(/Admin console of beta\.test.*domain-wide delegation.*auth\/calendar/);
    } finally {
      sys.emulator.registerServiceAccount(sys.key, { domainWideDelegation: true });
    }
    // None of these made a calendar.
    const { rows } = await sys.sql.query(`select calendar_id from connected_calendars where calendar_id in ('ghost@acme.test', 'rep@beta.test', 'someone@other.test')`);
    expect(rows).toEqual([]);
  });
});

describe('each rep reaches only their own calendar', () => {
  it('creates in the rep\'s own Google calendar, as them, and lists only their own events', async () => {
    const mine = await users.a.client.calendar.createEvent.mutate({ ...meeting('A: discovery call'), attendees: ['buyer@client.example'] });
    const theirs = await users.b.client.calendar.createEvent.mutate(meeting('B: pipeline review'));
    expect([mine.calendarId, mine.organizerEmail, theirs.calendarId]).toEqual([A, A, B]);
    expect(mine.meetLink).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(sys.emulator.control.listEvents(A).map((e) => e.summary)).toContain('A: discovery call');
    expect(sys.emulator.control.listEvents(B).map((e) => e.summary)).not.toContain('A: discovery call');

    const window = { timeMin: at('2031-05-05T00:00:00Z'), timeMax: at('2031-05-06T00:00:00Z') };
    expect((await users.a.client.calendar.listEvents.query(window)).items.map((e) => e.summary)).toEqual(['A: discovery call']);
    expect((await users.b.client.calendar.listEvents.query(window)).items.map((e) => e.summary)).toEqual(['B: pipeline review']);
  });

  it("answers another rep's event as if it did not exist, and changes nothing at Google or here", async () => {
    const aEvent = await users.a.client.calendar.createEvent.mutate(meeting('A: private'));
    // The echo of that create (a notification, then a sync) is not part of what is measured here.
    await sys.settle();
    const before = { calls: googleCalls(), rows: (await sys.sql.query('select id, etag, status, summary from calendar_events order by id')).rows };
    const b = users.b.client.calendar;
    const byEventId = [() => b.getEvent.query({ id: aEvent.id }), () => b.updateEvent.mutate({ id: aEvent.id, summary: 'hijacked' }), () => b.cancelEvent.mutate({ id: aEvent.id })];
    const byCalendarId = [
      () => b.getEvent.query({ id: aEvent.id, calendarId: A }),
      () => b.listEvents.query({ calendarId: A, timeMin: at('2031-05-05T00:00:00Z'), timeMax: at('2031-05-06T00:00:00Z') }),
      () => b.watch.mutate({ calendarId: A }),
    ];
    // Word for word what an id that exists nowhere gets, but for the id itself: no existence leak.
    const same = (message: string) => message.replace(/ \S+ was not found/, ' X was not found');
    const unknownEvent = await failure(b.getEvent.query({ id: '7d3c2c1e-52a2-4c1f-9d51-1c2b3a4d5e6f' }));
    const unknownCalendar = await failure(b.getEvent.query({ id: aEvent.id, calendarId: `nobody@${DOMAIN}` }));
    for (const [attempts, unknown] of [
      [byEventId, unknownEvent],
      [byCalendarId, unknownCalendar],
    ] as const) {
      for (const attempt of attempts) {
        const err = await failure(attempt());
        expect(err.code).toBe('NOT_FOUND');
        expect(same(err.message)).toBe(same(unknown.message));
      }
    }
    expect(googleCalls()).toBe(before.calls);
    expect((await sys.sql.query('select id, etag, status, summary from calendar_events order by id')).rows).toEqual(before.rows);
    expect(sys.emulator.control.listEvents(A).find((e) => e.id === aEvent.googleEventId)?.summary).toBe('A: private');
  });

  it("brings a person's edit in B's Google calendar to B's page only", async () => {
    const bEvent = await users.b.client.calendar.createEvent.mutate(meeting('B: to be moved in Google'));
    await sys.settle();
    const a = listen(users.a.client);
    const b = listen(users.b.client);
    await Promise.all([a.started(), b.started()]);
    try {
      sys.emulator.control.editEvent(B, bEvent.googleEventId, { summary: 'B: moved by a person in Google' });
      await eventually(async () => {
        const shown = await users.b.client.calendar.getEvent.query({ id: bEvent.id });
        expect(shown.summary).toBe('B: moved by a person in Google');
      });
      await eventually(() => expect(b.messages.some((m) => m.source === 'sync' && m.changed > 0)).toBe(true));
      await sys.settle();
      expect(a.messages).toEqual([]);
    } finally {
      a.stop();
      b.stop();
    }
  });
});

describe('admins', () => {
  it('list the connected calendars with state, channel and last sync; others may not', async () => {
    const page = await users.admin.client.calendar.calendars.query({ limit: 100 });
    const byId = new Map(page.items.map((c) => [c.calendarId, c]));
    for (const id of [A, B]) {
      expect(byId.get(id)).toMatchObject({ state: 'active', subject: id, lastError: null });
      expect(byId.get(id)?.channelExpiration?.getTime()).toBeGreaterThan(Date.now());
      expect(byId.get(id)?.lastSyncAt).toBeInstanceOf(Date);
    }
    const refused = await failure(users.a.client.calendar.calendars.query());
    expect(refused).toMatchObject({ code: 'FORBIDDEN', reason: 'not_admin' });
  });

  it("act on any rep's calendar by naming it", async () => {
    const bEvent = await users.b.client.calendar.createEvent.mutate(meeting('B: admin may read it'));
    const listed = await users.admin.client.calendar.listEvents.query({ calendarId: B, timeMin: at('2031-05-05T00:00:00Z'), timeMax: at('2031-05-06T00:00:00Z') });
    expect(listed.items.map((e) => e.id)).toContain(bEvent.id);
    const renamed = await users.admin.client.calendar.updateEvent.mutate({ calendarId: B, id: bEvent.id, summary: 'B: renamed by admin' });
    expect(renamed.summary).toBe('B: renamed by admin');
    expect(sys.emulator.control.listEvents(B).find((e) => e.id === bEvent.googleEventId)?.summary).toBe('B: renamed by admin');
    // The admin's own (unconnected) calendar is not a default for them either.
    expect((await failure(users.admin.client.calendar.getEvent.query({ id: bEvent.id }))).reason).toBe('calendar_not_connected');
  });

  it("connect a rep's calendar, which becomes theirs when they first use it", async () => {
    const connected = await users.admin.client.calendar.connect.mutate({ userEmail: D });
    expect(connected).toMatchObject({ calendarId: D, ownerId: null, state: 'active' });
    expect((await users.d.client.calendar.connection.query()).calendar).toMatchObject({ calendarId: D, ownerId: 'user-d' });
    const event = await users.d.client.calendar.createEvent.mutate(meeting('D: first meeting'));
    expect(event.calendarId).toBe(D);
  });

  it("disconnect a rep's calendar: channel stopped, events gone, the rep told to connect; reconnecting brings them back", async () => {
    await users.b.client.calendar.createEvent.mutate(meeting('B: before disconnect'));
    const disconnected = await users.admin.client.calendar.disconnect.mutate({ calendarId: B });
    expect(disconnected).toMatchObject({ calendarId: B, state: 'disconnected', channelExpiration: null });
    expect(disconnected.stateReason).toMatch(/admin/);
    expect((await sys.sql.query('select count(*)::int as n from calendar_events where calendar_id = $1', [B])).rows).toEqual([{ n: 0 }]);
    const told = await failure(users.b.client.calendar.listEvents.query({ timeMin: at('2031-05-05T00:00:00Z'), timeMax: at('2031-05-06T00:00:00Z') }));
    expect(told.reason).toBe('calendar_not_connected');

    // A change in Google meanwhile is not followed (no channel), but a reconnect syncs everything.
    await sys.settle();
    expect(await users.b.client.calendar.connect.mutate()).toMatchObject({ state: 'active' });
    const back = await users.b.client.calendar.listEvents.query({ timeMin: at('2031-05-05T00:00:00Z'), timeMax: at('2031-05-06T00:00:00Z') });
    expect(back.items.map((e) => e.summary)).toContain('B: before disconnect');
  });

  it('a rep disconnects their own calendar and may keep its events', async () => {
    await users.c.client.calendar.createEvent.mutate(meeting('C: kept'));
    const result = await users.c.client.calendar.disconnect.mutate({ keepEvents: true });
    expect(result.state).toBe('disconnected');
    expect((await sys.sql.query(`select count(*)::int as n from calendar_events where calendar_id = $1 and summary = 'C: kept'`, [C])).rows).toEqual([{ n: 1 }]);
    expect((await users.c.client.calendar.connection.query()).calendar).toBeNull();
  });
});

describe('the REST API', () => {
  const rest = async (user: UserClient, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sys.app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${user.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers the connection, connects, and keeps calendars apart with calendar_id', async () => {
    const connection = await rest(users.a, 'GET', '/calendar/connection');
    expect(connection).toMatchObject({ status: 200, body: { mode: 'delegation', can_connect: true, calendar: { calendar_id: A, state: 'active' } } });
    expect(await rest(users.a, 'POST', '/calendar/connect', {})).toMatchObject({ status: 200, body: { calendar_id: A, state: 'active' } });
    const foreign = await rest(users.a, 'GET', `/calendar/events?time_min=2031-05-05T00:00:00Z&time_max=2031-05-06T00:00:00Z&calendar_id=${encodeURIComponent(B)}`);
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const list = await rest(users.admin, 'GET', '/calendar/connections?state=active');
    expect(list.status).toBe(200);
    expect((list.body.items as Array<{ calendar_id: string }>).map((c) => c.calendar_id)).toEqual(expect.arrayContaining([A, B]));
    expect(await rest(users.outsider, 'POST', '/calendar/connect', {})).toMatchObject({ status: 403, body: { error: { reason: 'domain_not_allowed' } } });
  });
});
