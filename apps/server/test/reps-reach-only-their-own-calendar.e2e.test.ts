import type { CalendarClient } from '@calsync/client';
import fc from 'fast-check';
import { beforeAll, expect, it, vi } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { failureOf, type Failure } from './support/failure.ts';
import { FUZZ_ENV, meetingRange } from './support/fuzz.ts';
import { flushPage, openPage, type Page } from './support/pages.ts';
import { useSystem } from './support/system.ts';

// Property-based, over HTTP against real PostgreSQL and the emulator: whatever sequence of calls
// reps (connected or not) and an admin make, naming whichever events and calendars, a rep never
// reads or changes another calendar, another calendar's ids answer exactly like ids nobody has,
// a refused call costs no Google call, a live-update stream carries only its own calendar's
// changes, and an admin reaches the calendar they name.
vi.setConfig({ testTimeout: 180_000 });

const DOMAIN = 'acme.test';
const EMAIL = { a: `rep.a@${DOMAIN}`, b: `rep.b@${DOMAIN}`, c: `rep.c@${DOMAIN}`, d: `rep.d@${DOMAIN}`, admin: `boss@${DOMAIN}` } as const;
type Who = keyof typeof EMAIL;
const WHO = Object.keys(EMAIL) as Who[];
/** D starts unconnected (their Google calendar has an event we never saw); the admin too. */
const CONNECTED_AT_START: Who[] = ['a', 'b', 'c'];
/** Calendar ids nobody here has: Google's alias, a case variant of a real one, another domain, garbage. */
const UNKNOWN_CALENDARS = ['nobody@acme.test', 'primary', 'REP.A@acme.test', 'rep.a@other.test', 'x'];
const OUTSIDER = 'someone@other.test';
/** Every generated meeting falls in this window (meetingRange is 2031). */
const WINDOW = { timeMin: new Date('2031-01-01T00:00:00Z'), timeMax: new Date('2032-01-01T00:00:00Z') };

const PROCEDURES = ['createEvent', 'getEvent', 'listEvents', 'updateEvent', 'cancelEvent', 'watch', 'stopWatch', 'sync', 'disconnect', 'connect', 'subscribe'] as const;
type Procedure = (typeof PROCEDURES)[number];
type CallProcedure = Exclude<Procedure, 'subscribe'>;

interface Step {
  who: Who;
  procedure: Procedure;
  /**
   * The event named: the n-th of the events of the calendar the call acts on, or of all events we
   * hold, when the step runs; or an id nobody has.
   */
  event: { inScope: number } | { anywhere: number } | { unknown: string };
  /** The calendarId named, if any: a user's calendar, or one nobody has. */
  calendar: null | { known: Who } | { unknown: string };
  /** Whose calendar a connect names (userEmail), if anyone's. */
  connectFor: null | Who | 'outsider';
  summary: string;
  range: { startTime: Date; endTime: Date };
  /** createMeetLink, full, keepEvents, or "move it too" for an update. */
  flag: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  who: fc.constantFrom(...WHO),
  procedure: fc.constantFrom(...PROCEDURES),
  event: fc.oneof(
    { weight: 2, arbitrary: fc.nat().map((n) => ({ inScope: n })) },
    { weight: 2, arbitrary: fc.nat().map((n) => ({ anywhere: n })) },
    { weight: 1, arbitrary: fc.uuid({ version: 4 }).map((u) => ({ unknown: u })) },
  ),
  calendar: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: fc.constantFrom(...WHO).map((w) => ({ known: w })) },
    { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_CALENDARS).map((u) => ({ unknown: u })) },
  ),
  connectFor: fc.oneof(fc.constant(null), fc.constantFrom(...WHO), fc.constant('outsider' as const)),
  summary: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''),
  range: meetingRange,
  flag: fc.boolean(),
});

const sys = useSystem({
  env: {
    ...FUZZ_ENV,
    GOOGLE_WORKSPACE_DOMAINS: DOMAIN,
    AUTH_ADMIN_CLAIM: 'app_metadata.role',
    AUTH_ADMIN_VALUE: 'calendar-admin',
    // Each step waits for the syncs it caused; coalescing would only make it wait longer.
    SYNC_MIN_INTERVAL_MS: '0',
  },
});

beforeAll(() => {
  sys.emulator.control.addDomain(DOMAIN, { users: Object.values(EMAIL) });
});

// ---------------------------------------------------------------------------------------------
// What the test observes

interface CalendarRow {
  state: string;
  owner_id: string | null;
}

/** Everything a call could change, per calendar, plus which events exist where. */
interface Snapshot {
  /** Per calendar: its connected_calendars row, sync state and events in PostgreSQL, as JSON. */
  rows: Map<string, string>;
  /** Per calendar: its events alone (what a live update reports on). */
  events: Map<string, string>;
  calendars: Map<string, CalendarRow>;
  /** Per user's calendar: its events in Google. */
  google: Map<string, string>;
  /** Every event we hold, in a stable order (the steps' `known` indexes point into it). */
  eventIds: Array<{ id: string; calendarId: string }>;
  /** Live (not cancelled) event ids per calendar, sorted. */
  live: Map<string, string[]>;
}

async function snapshot(): Promise<Snapshot> {
  const r = await sys.sql.query<{ calendar_id: string; calendar: string; sync_state: string | null; events: string; state: string; owner_id: string | null }>(
    `select c.calendar_id, c.state, c.owner_id, row_to_json(c)::text as calendar,
       (select row_to_json(s)::text from calendar_sync_states s where s.calendar_id = c.calendar_id) as sync_state,
       (select coalesce(json_agg(e order by e.id), '[]'::json)::text from calendar_events e where e.calendar_id = c.calendar_id) as events
     from connected_calendars c order by c.calendar_id`,
  );
  const ev = await sys.sql.query<{ id: string; calendar_id: string; status: string }>(`select id, calendar_id, status from calendar_events order by calendar_id, summary, id`);
  const live = new Map<string, string[]>();
  for (const e of ev.rows) if (e.status !== 'cancelled') live.set(e.calendar_id, [...(live.get(e.calendar_id) ?? []), e.id].sort());
  return {
    rows: new Map(r.rows.map((row) => [row.calendar_id, `${row.calendar}\n${row.sync_state}\n${row.events}`])),
    events: new Map(r.rows.map((row) => [row.calendar_id, row.events])),
    calendars: new Map(r.rows.map((row) => [row.calendar_id, { state: row.state, owner_id: row.owner_id }])),
    google: new Map(WHO.map((w) => [EMAIL[w], JSON.stringify(sys.emulator.control.listEvents(EMAIL[w]))])),
    eventIds: ev.rows.map((e) => ({ id: e.id, calendarId: e.calendar_id })),
    live,
  };
}

const changedCalendars = (before: Map<string, string>, after: Map<string, string>): Set<string> =>
  new Set([...before.keys(), ...after.keys()].filter((id) => before.get(id) !== after.get(id)));

// ---------------------------------------------------------------------------------------------
// One run: a fresh world, then the steps

/** A page open on a calendar, and whose. */
interface Stream {
  who: Who;
  page: Page;
}

interface World {
  run: number;
  users: Record<Who, UserClient>;
  streams: Stream[];
  /** Each step's time span (server and test share the clock) and the calendars whose events it changed. */
  spans: Array<{ from: number; to: number; changed: Set<string> }>;
  ghosts: number;
}

let runs = 0;
let openStreams: Stream[] = [];

/** Connected reps with two events each, D's Google calendar with one event we never saw, nothing else. */
async function freshWorld(): Promise<World> {
  for (const s of openStreams) s.page.stop();
  openStreams = [];
  await sys.settle();
  sys.emulator.control.reset();
  await sys.sql.query('delete from sync_reconciliations; delete from calendar_events; delete from calendar_sync_states; delete from connected_calendars');
  // New token subjects each run: the server remembers a caller's calendar for a few seconds.
  const run = ++runs;
  const entries = await Promise.all(
    WHO.map(async (w) => [w, await clientFor(sys.app.url, `${w}-${run}`, { email: EMAIL[w], ...(w === 'admin' ? { claims: { app_metadata: { role: 'calendar-admin' } } } : {}) })] as const),
  );
  const users = Object.fromEntries(entries) as Record<Who, UserClient>;
  await Promise.all(CONNECTED_AT_START.map((w) => users[w].client.calendar.connect.mutate()));
  await Promise.all(
    CONNECTED_AT_START.flatMap((w) =>
      [1, 2].map((n) => {
        const start = Date.UTC(2031, 4, n, 10);
        return users[w].client.calendar.createEvent.mutate({ summary: `${w}: event ${n}`, startTime: new Date(start), endTime: new Date(start + 3600_000), createMeetLink: false });
      }),
    ),
  );
  sys.emulator.control.createEvent(EMAIL.d, { summary: 'd: made in Google', start: { dateTime: '2031-05-03T10:00:00Z' }, end: { dateTime: '2031-05-03T11:00:00Z' } });
  await sys.settle();
  // Pages open from the start: each connected rep's own, and the admin's on B's calendar.
  const pages = [['a', undefined], ['b', undefined], ['c', undefined], ['admin', EMAIL.b]] as const;
  const streams = await Promise.all(
    pages.map(async ([who, named]) => {
      const opened = await subscribe(users[who], who, named, named ?? EMAIL[who]);
      if (!opened.ok || !opened.stream) throw new Error(`${who} could not open a page: ${JSON.stringify(opened)}`);
      return opened.stream;
    }),
  );
  openStreams.push(...streams);
  return { run, users, streams, spans: [], ghosts: 0 };
}

interface Args {
  eventId: string;
  calendarId: string | undefined;
  userEmail: string | undefined;
  summary: string;
  range: { startTime: Date; endTime: Date };
  flag: boolean;
}

function invoke(c: CalendarClient, procedure: CallProcedure, a: Args): Promise<unknown> {
  const cal = a.calendarId === undefined ? {} : { calendarId: a.calendarId };
  const orNone = a.calendarId === undefined ? undefined : cal;
  switch (procedure) {
    case 'createEvent':
      return c.calendar.createEvent.mutate({ ...cal, summary: a.summary, ...a.range, createMeetLink: a.flag });
    case 'getEvent':
      return c.calendar.getEvent.query({ ...cal, id: a.eventId });
    case 'listEvents':
      return c.calendar.listEvents.query({ ...cal, ...WINDOW, limit: 2500 });
    case 'updateEvent':
      return c.calendar.updateEvent.mutate({ ...cal, id: a.eventId, summary: a.summary, ...(a.flag ? a.range : {}) });
    case 'cancelEvent':
      return c.calendar.cancelEvent.mutate({ ...cal, id: a.eventId });
    case 'watch':
      return c.calendar.watch.mutate(orNone);
    case 'stopWatch':
      return c.calendar.stopWatch.mutate(orNone);
    case 'sync':
      return c.calendar.sync.mutate({ ...cal, full: a.flag });
    case 'disconnect':
      return c.calendar.disconnect.mutate({ ...cal, keepEvents: a.flag });
    case 'connect':
      return c.calendar.connect.mutate(a.userEmail === undefined ? undefined : { userEmail: a.userEmail });
  }
}

type Outcome = { ok: true; value: unknown; stream?: Stream } | { ok: false; failure: Failure };

/** Opens calendar.onChange; a live page is kept (and closed when the next run starts). */
async function subscribe(user: UserClient, who: Who, calendarId: string | undefined, expected: string): Promise<Outcome> {
  const opened = await openPage(user.client, sys.sql, expected, calendarId);
  if ('error' in opened) return { ok: false, failure: failureOf(opened.error) };
  return { ok: true, value: undefined, stream: { who, page: opened.page } };
}

async function perform(world: World, who: Who, procedure: Procedure, a: Args, expectedScope: string): Promise<Outcome> {
  const user = world.users[who];
  if (procedure === 'subscribe') return subscribe(user, who, a.calendarId, expectedScope);
  try {
    return { ok: true, value: await invoke(user.client, procedure, a) };
  } catch (err) {
    return { ok: false, failure: failureOf(err) };
  }
}

/** A failure with the named ids replaced, to compare "another's" with "nobody's". */
const normalized = (f: Failure, ...ids: string[]) => ({ ...f, message: ids.reduce((m, id) => m.replaceAll(id, '<id>'), f.message) });

const googleCalls = () => sys.emulator.control.stats().total;

/** Runs one step and checks every property on it. */
async function runStep(world: World, step: Step, index: number): Promise<void> {
  const admin = step.who === 'admin';
  const own = EMAIL[step.who];
  const before = await snapshot();
  const calendarId = step.calendar === null ? undefined : 'known' in step.calendar ? EMAIL[step.calendar.known] : step.calendar.unknown;
  // The calendar the call acts on if it is allowed at all: a rep's own, or the one an admin names.
  const scope = admin ? (calendarId ?? own) : own;
  const pick = <T>(list: T[], n: number): T | undefined => list[n % Math.max(1, list.length)];
  const target =
    'inScope' in step.event
      ? pick(
          before.eventIds.filter((e) => e.calendarId === scope),
          step.event.inScope,
        )
      : 'anywhere' in step.event
        ? pick(before.eventIds, step.event.anywhere)
        : undefined;
  const eventId = target?.id ?? ('unknown' in step.event ? step.event.unknown : crypto.randomUUID());
  const userEmail = step.connectFor === null ? undefined : step.connectFor === 'outsider' ? OUTSIDER : EMAIL[step.connectFor];
  const args: Args = { eventId, calendarId, userEmail, summary: `${step.summary} (${world.run}.${index})`, range: step.range, flag: step.flag };
  // A connect acts on the calendar of the address it names (admins), or on the caller's own.
  const acted = step.procedure === 'connect' ? (userEmail ?? own) : scope;
  const touchable = new Set([scope, acted]);

  sys.emulator.control.resetStats();
  const from = Date.now();
  const outcome = await perform(world, step.who, step.procedure, args, scope);
  await sys.settle();
  const to = Date.now();
  const after = await snapshot();
  world.spans.push({ from, to, changed: changedCalendars(before.events, after.events) });
  const what = `${step.who} ${step.procedure} ${JSON.stringify({ eventId, calendarId, userEmail })} -> ${outcome.ok ? 'ok' : JSON.stringify(outcome.failure)}`;

  // Nothing outside what the caller may act on changed, here or at Google, and Google was asked
  // about no other calendar (even to read).
  for (const id of changedCalendars(before.rows, after.rows)) expect(touchable.has(id), `${what}: changed calendar ${id} in PostgreSQL`).toBe(true);
  for (const id of changedCalendars(before.google, after.google)) expect(touchable.has(id), `${what}: changed calendar ${id} in Google`).toBe(true);
  for (const key of Object.keys(sys.emulator.control.concurrency())) {
    const [, calendar] = key.split(' ');
    if (calendar !== undefined) expect(touchable.has(calendar), `${what}: Google call ${key}`).toBe(true);
  }

  if (!outcome.ok) {
    // A refused call changed nothing and cost no Google call at all. Only one thing may happen:
    // a calendar an admin connected for this rep becomes theirs on their first call, whatever it is.
    expect(googleCalls(), `${what}: Google calls of a refused call`).toBe(0);
    const claimed = (id: string) =>
      id === own && before.calendars.get(id)?.owner_id === null && after.calendars.get(id)?.owner_id === world.users[step.who].user && before.events.get(id) === after.events.get(id);
    expect(new Set([...changedCalendars(before.rows, after.rows)].filter((id) => !claimed(id))), `${what}: a refused call changed rows`).toEqual(new Set());
    expect(changedCalendars(before.google, after.google), `${what}: a refused call changed Google`).toEqual(new Set());
  }

  // Another calendar's id answers exactly like one nobody has.
  // The same call again with `field` naming nobody's id instead: the same refusal, word for word
  // but for the id itself, and again no Google call.
  const replay = async (field: 'calendarId' | 'userEmail' | 'eventId', nobodys: string) => {
    const replaced = args[field] ?? '';
    sys.emulator.control.resetStats();
    const again = await perform(world, step.who, step.procedure, { ...args, [field]: nobodys }, scope);
    if (again.ok) again.stream?.page.stop();
    await sys.settle();
    expect(again.ok, `${what}: the same call naming nobody's id succeeded`).toBe(false);
    expect(googleCalls(), `${what}: Google calls of the replay`).toBe(0);
    if (outcome.ok || again.ok) return;
    expect(normalized(outcome.failure, replaced), `${what}: another's id answered unlike nobody's`).toEqual(normalized(again.failure, nobodys));
  };
  const ghost = () => `ghost.${world.run}.${++world.ghosts}@${DOMAIN}`;
  if (!admin && calendarId !== undefined && calendarId !== own && step.procedure !== 'connect') {
    expect(outcome.ok, `${what}: a rep reached the calendar ${calendarId}`).toBe(false);
    if (!outcome.ok) expect(outcome.failure.code, what).toBe('NOT_FOUND');
    await replay('calendarId', ghost());
  } else if (!admin && step.procedure === 'connect' && userEmail !== undefined && userEmail !== own) {
    expect(outcome.ok, `${what}: a rep connected another's calendar`).toBe(false);
    await replay('userEmail', ghost());
  } else if (target && target.calendarId !== scope && ['getEvent', 'updateEvent', 'cancelEvent'].includes(step.procedure)) {
    expect(outcome.ok, `${what}: reached an event of ${target.calendarId}`).toBe(false);
    await replay('eventId', crypto.randomUUID());
  }

  // Nothing reaches a calendar that is not connected: a rep's own (never, or no longer), named
  // or not, nor a disconnected one an admin names.
  const ownRow = before.calendars.get(own);
  const ownConnected = ownRow !== undefined && ownRow.state !== 'disconnected' && (ownRow.owner_id === world.users[step.who].user || ownRow.owner_id === null);
  const namedDisconnected = calendarId !== undefined && before.calendars.get(calendarId)?.state === 'disconnected';
  if (step.procedure !== 'connect' && ((!admin && !ownConnected) || (admin && namedDisconnected))) {
    expect(outcome.ok, `${what}: reached a calendar that is not connected`).toBe(false);
  }

  // No answer carries anything of another calendar.
  if (outcome.ok) checkAnswer(what, step.procedure, outcome.value, acted, after);
  if (outcome.ok && outcome.stream) {
    world.streams.push(outcome.stream);
    openStreams.push(outcome.stream);
  }

  // The owner, or an admin naming it, reaches the calendar: reads answer exactly its events.
  const row = before.calendars.get(scope);
  const ownsIt = row !== undefined && (row.owner_id === world.users[step.who].user || row.owner_id === null);
  const reachable = row !== undefined && row.state !== 'disconnected' && (admin && calendarId !== undefined ? true : ownsIt && (calendarId === undefined || calendarId === own));
  if (reachable && step.procedure === 'listEvents') {
    expect(outcome.ok, `${what}: could not list a calendar it may read`).toBe(true);
    if (outcome.ok) expect((outcome.value as { items: Array<{ id: string }> }).items.map((e) => e.id).sort(), what).toEqual(before.live.get(scope) ?? []);
  }
  if (reachable && step.procedure === 'getEvent' && target?.calendarId === scope) {
    expect(outcome.ok, `${what}: could not read an event it may read`).toBe(true);
  }
  if (reachable && step.procedure === 'createEvent') {
    expect(outcome.ok, `${what}: could not create in a calendar it may write`).toBe(true);
  }
}

function checkAnswer(what: string, procedure: Procedure, value: unknown, scope: string, after: Snapshot): void {
  switch (procedure) {
    case 'createEvent':
    case 'getEvent':
    case 'updateEvent':
    case 'cancelEvent':
    case 'connect':
    case 'disconnect':
      expect((value as { calendarId: string }).calendarId, `${what}: answered about another calendar`).toBe(scope);
      return;
    case 'listEvents':
      for (const e of (value as { items: Array<{ calendarId: string }> }).items) expect(e.calendarId, `${what}: listed another calendar's event`).toBe(scope);
      return;
    case 'watch': {
      const channelId = (value as { channelId: string }).channelId;
      expect(after.rows.get(scope) ?? '', `${what}: the channel is not the scope's`).toContain(channelId);
      return;
    }
    default:
      return;
  }
}

/**
 * Every change a page heard came in a step that changed its calendar's events (the messages'
 * times are the server's, on the clock the steps were timed with), once all have arrived.
 */
async function checkStreams(world: World): Promise<void> {
  for (const { who, page } of world.streams) {
    await flushPage(page, sys.sql);
    for (const m of page.changes()) {
      const at = m.at.getTime();
      const span = world.spans.find((s) => s.from <= at && at <= s.to);
      const where = `${who}'s page on ${page.calendarId}: ${JSON.stringify(m)}`;
      expect(span, `${where} arrived outside every step`).toBeDefined();
      expect([...(span?.changed ?? [])], `${where} came in a step that did not change its calendar`).toContain(page.calendarId);
    }
  }
}

it('a rep never reads or changes another calendar, and an admin reaches the one they name', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 8, maxLength: 24 }), async (steps) => {
      const world = await freshWorld();
      for (const [i, step] of steps.entries()) await runStep(world, step, i);
      await checkStreams(world);
    }),
    // A run is ~1 s of real requests. Shrinking a failure replays many runs: it is cut short
    // (reporting the smallest counterexample so far) rather than by the test's timeout.
    { numRuns: 20, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true },
  );
});
