import { createCalendarClient, TRPCClientError, type CalendarClient, type RouterInputs } from '@calsync/client';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  clientJsonValue,
  expectNothingChanged,
  expectTypedError,
  extraKeys,
  FUZZ_ENV,
  meetingRange,
  nastyCursor,
  nastyDate,
  nastyEmail,
  nastyId,
  nastyNumber,
  nastyString,
  nastyTimeZone,
  observe,
  refusedTokens,
} from './support/fuzz.ts';
import { useSystem } from './support/system.ts';

// Property runs are many real requests: on a loaded 2-core CI machine they need more than the default.
vi.setConfig({ testTimeout: 120_000 });

// Property-based: whatever a typed caller sends (well-typed but wrong values, or values the
// types allow but the API refuses), the answer is a success or a typed 4xx error, and a
// refused request leaves our rows, Google's events and Google's write counters untouched.
type Inputs = RouterInputs['calendar'];
// The subscription takes no input and streams; live-updates.e2e.test.ts covers it.
type Procedure = Exclude<keyof Inputs, 'onChange'>;

const sys = useSystem({ env: FUZZ_ENV });
let client: CalendarClient;
/** Status of the last HTTP answer the typed client received (each call is awaited alone). */
let lastStatus = 0;
let liveIds: string[] = [];
let cancelledId = '';
let sequence = 0;

const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  lastStatus = res.status;
  return res;
};

const clientFor = (getToken: () => string | null): CalendarClient => createCalendarClient({ url: `${sys.app.url}/trpc`, getToken, fetch: recordingFetch });

// The inputs are deliberately not what the types promise: assert them to the procedure's type.
const callers: Record<Procedure, (c: CalendarClient, input: unknown) => Promise<unknown>> = {
  createEvent: (c, i) => c.calendar.createEvent.mutate(i as Inputs['createEvent']),
  listEvents: (c, i) => c.calendar.listEvents.query(i as Inputs['listEvents']),
  getEvent: (c, i) => c.calendar.getEvent.query(i as Inputs['getEvent']),
  freeBusy: (c, i) => c.calendar.freeBusy.query(i as Inputs['freeBusy']),
  findSlots: (c, i) => c.calendar.findSlots.query(i as Inputs['findSlots']),
  updateEvent: (c, i) => c.calendar.updateEvent.mutate(i as Inputs['updateEvent']),
  cancelEvent: (c, i) => c.calendar.cancelEvent.mutate(i as Inputs['cancelEvent']),
  watch: (c, i) => c.calendar.watch.mutate(i as Inputs['watch']),
  stopWatch: (c, i) => c.calendar.stopWatch.mutate(i as Inputs['stopWatch']),
  sync: (c, i) => c.calendar.sync.mutate(i as Inputs['sync']),
  connection: (c) => c.calendar.connection.query(),
  connect: (c, i) => c.calendar.connect.mutate(i as Inputs['connect']),
  disconnect: (c, i) => c.calendar.disconnect.mutate(i as Inputs['disconnect']),
  calendars: (c, i) => c.calendar.calendars.query(i as Inputs['calendars']),
};
const PROCEDURES = Object.keys(callers) as Procedure[];

/** Calls once; on failure checks the error is typed and nothing changed. */
async function callChecked(proc: Procedure, input: unknown, opts: { client?: CalendarClient; noGoogleCall?: boolean } = {}) {
  const before = await observe(sys);
  lastStatus = 0;
  try {
    return { ok: true as const, value: await callers[proc](opts.client ?? client, input) };
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    expect(lastStatus, `an HTTP answer for ${proc}: ${err.message}`).toBeGreaterThan(0);
    expect(lastStatus, `HTTP status for ${proc}`).toBeLessThan(500);
    // 431: Node refuses a request head over 16 KB (a huge GET input) before any of our code runs.
    // Only an object input has fields to name; any other input is refused as a whole.
    // (An unknown key "" is named "", too.)
    const isObject = typeof input === 'object' && input !== null && !Array.isArray(input) && !Object.hasOwn(input, '');
    if (lastStatus !== 431) expectTypedError(err.shape, { fieldNamed: isObject });
    await expectNothingChanged(sys, before, { noGoogleCall: opts.noGoogleCall ?? false });
    return { ok: false as const, status: lastStatus, code: (err.shape as { data?: { code?: string } } | undefined)?.data?.code };
  }
}

/** Drops undefined members, so "absent" and "present" are both generated. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** A later create must not meet an earlier one's key by accident (that is a designed CONFLICT). */
function uniqueKey(key: unknown): unknown {
  return typeof key === 'string' && key.length > 0 && key.length < 240 ? `${++sequence}:${key}` : key;
}

/**
 * A valid input with some of its parts spoiled: each spoiler replaces its fields with probability
 * 1/4, so one bad value at a time is common (all others valid, so that value is what the server
 * meets) and a clean input is too. A spoiler may set fields to undefined (absent).
 */
function spoiled(valid: fc.Arbitrary<Record<string, unknown>>, spoilers: Record<string, fc.Arbitrary<Record<string, unknown>>>) {
  const overrides = fc.record(
    Object.fromEntries(
      Object.entries(spoilers).map(([name, arb]) => [name, fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: arb, weight: 1 })]),
    ),
  );
  return fc.tuple(valid, overrides).map(([base, o]) => {
    let input: Record<string, unknown> = { ...base };
    for (const partial of Object.values(o)) if (partial) input = { ...input, ...partial };
    return compact(input);
  });
}

/** Two times the way a caller might get them wrong: absurd but ordered, reversed, equal, or anything. */
const badRange = (startKey: string, endKey: string) =>
  fc.oneof(
    fc.tuple(nastyDate, fc.integer({ min: 1, max: 7 * 86_400_000 })).map(([d, delta]) => ({ [startKey]: d, [endKey]: new Date(d.getTime() + delta) })),
    meetingRange.map(({ startTime, endTime }) => ({ [startKey]: endTime, [endKey]: startTime })),
    meetingRange.map(({ startTime }) => ({ [startKey]: startTime, [endKey]: startTime })),
    fc.record({ [startKey]: nastyDate, [endKey]: nastyDate }, { requiredKeys: [] }),
  );

const simpleEmail = fc.emailAddress().filter((e) => /^[a-z0-9._+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/.test(e));
const validTimeZone = fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC', 'Pacific/Kiritimati', 'America/St_Johns');
const one = (key: string, arb: fc.Arbitrary<unknown>) => arb.map((v) => ({ [key]: v }));

beforeAll(async () => {
  client = clientFor(() => sys.token);
  const base = { startTime: new Date('2031-05-05T10:00:00Z'), endTime: new Date('2031-05-05T11:00:00Z') };
  const a = await client.calendar.createEvent.mutate({ ...base, summary: 'Fuzz target A', attendees: ['a@acme.example'] });
  const b = await client.calendar.createEvent.mutate({ ...base, summary: 'Fuzz target B', createMeetLink: false });
  const c = await client.calendar.createEvent.mutate({ ...base, summary: 'Fuzz target C (cancelled)' });
  await client.calendar.cancelEvent.mutate({ id: c.id });
  liveIds = [a.id, b.id];
  cancelledId = c.id;
});

describe('whatever a typed caller sends, the answer is a success or a typed 4xx and a refusal changes nothing', () => {
  it('createEvent', async () => {
    const valid = fc
      .record(
        {
          summary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((x) => x.trim() !== ''),
          range: meetingRange,
          timeZone: validTimeZone,
          attendees: fc.array(simpleEmail, { maxLength: 2 }),
          createMeetLink: fc.boolean(),
        },
        { requiredKeys: ['summary', 'range'] },
      )
      .map(({ range, ...rest }) => ({ ...rest, ...range }));
    const input = spoiled(valid, {
      summary: one('summary', fc.oneof(nastyString, fc.constant(undefined))),
      description: one('description', nastyString),
      location: one('location', nastyString),
      times: badRange('startTime', 'endTime'),
      timeZone: one('timeZone', nastyTimeZone),
      attendees: fc.oneof(
        fc.tuple(fc.array(simpleEmail, { maxLength: 2 }), nastyEmail).map(([ok, bad]) => ({ attendees: [...ok, bad] })),
        one('attendees', fc.array(simpleEmail, { minLength: 101, maxLength: 101 })),
      ),
      createMeetLink: one('createMeetLink', clientJsonValue({ maxDepth: 1 })),
      idempotencyKey: one('idempotencyKey', fc.oneof(fc.constant(''), fc.string({ minLength: 256, maxLength: 256 }), nastyString)),
      extra: extraKeys,
    });
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        await callChecked('createEvent', { ...i, idempotencyKey: uniqueKey(i.idempotencyKey) });
      }),
      { numRuns: 100 },
    );
  });

  it('updateEvent', async () => {
    const valid = fc
      .record(
        {
          id: fc.constantFrom(...liveIds),
          summary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((x) => x.trim() !== ''),
          description: fc.oneof(fc.constant(null), fc.string({ maxLength: 40 })),
          range: meetingRange,
          timeZone: fc.oneof(fc.constant(null), validTimeZone),
          attendees: fc.array(simpleEmail, { maxLength: 2 }),
        },
        { requiredKeys: ['id'] },
      )
      .map(({ range, ...rest }) => ({ ...rest, ...range }));
    const input = spoiled(valid, {
      id: one('id', fc.oneof(fc.constant(cancelledId), nastyId)),
      summary: one('summary', nastyString),
      description: one('description', nastyString),
      location: one('location', nastyString),
      times: fc.oneof(badRange('startTime', 'endTime'), one('startTime', nastyDate).map((o) => ({ ...o, endTime: undefined })), one('endTime', nastyDate).map((o) => ({ ...o, startTime: undefined }))),
      timeZone: one('timeZone', nastyTimeZone),
      attendees: fc.tuple(fc.array(simpleEmail, { maxLength: 2 }), nastyEmail).map(([ok, bad]) => ({ attendees: [...ok, bad] })),
      expectedEtag: one('expectedEtag', fc.oneof(fc.constant(''), nastyString)),
      extra: extraKeys,
    });
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        await callChecked('updateEvent', i);
      }),
      { numRuns: 100 },
    );
  });

  it('listEvents', async () => {
    const valid = meetingRange.map(({ startTime }) => ({ timeMin: startTime, timeMax: new Date(startTime.getTime() + 7 * 86_400_000) }));
    const input = spoiled(valid, {
      window: badRange('timeMin', 'timeMax'),
      limit: one('limit', nastyNumber),
      cursor: one('cursor', fc.oneof(fc.constant(null), nastyCursor)),
      extra: extraKeys,
    });
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const r = await callChecked('listEvents', i, { noGoogleCall: true });
        if (!r.ok) return;
        expect(r.value).toHaveProperty('items');
      }),
      { numRuns: 100 },
    );
  });

  it('freeBusy and findSlots', async () => {
    const window = meetingRange.map(({ startTime }) => ({ timeMin: startTime, timeMax: new Date(startTime.getTime() + 7 * 86_400_000) }));
    const busy = spoiled(window, {
      window: badRange('timeMin', 'timeMax'),
      users: one('users', fc.oneof(fc.constant([]), fc.tuple(simpleEmail, nastyEmail).map((u) => [...u]), fc.array(simpleEmail, { minLength: 51, maxLength: 51 }))),
      timeZone: one('timeZone', nastyTimeZone),
      extra: extraKeys,
    });
    const slots = spoiled(
      window.chain((w) => validTimeZone.map((timeZone) => ({ ...w, duration: 30, timeZone }))),
      {
        window: badRange('timeMin', 'timeMax'),
        duration: one('duration', nastyNumber),
        buffer: one('buffer', nastyNumber),
        step: one('step', fc.oneof(nastyNumber, fc.constant(7))),
        limit: one('limit', nastyNumber),
        timeZone: one('timeZone', fc.oneof(nastyTimeZone, fc.constant(undefined))),
        workingHours: one(
          'workingHours',
          fc.oneof(
            fc.record({ start: fc.constantFrom('17:00', '9:00', '25:00', '', '09:60'), end: fc.constantFrom('09:00', '17:00', '24:01') }),
            fc.record({ start: fc.constant('09:00'), end: fc.constant('17:00'), days: fc.oneof(fc.constant([]), fc.constant([0]), fc.constant([8]), fc.array(nastyNumber, { maxLength: 3 })) }),
          ),
        ),
        users: one('users', fc.oneof(fc.constant([]), fc.tuple(nastyEmail).map((u) => [...u]), fc.array(simpleEmail, { minLength: 21, maxLength: 21 }))),
        extra: extraKeys,
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(busy.map((i) => ['freeBusy', i] as const), slots.map((i) => ['findSlots', i] as const)), async ([proc, i]) => {
        const r = await callChecked(proc, i, { noGoogleCall: true });
        if (!r.ok) return;
        expect(r.value).toHaveProperty(proc === 'freeBusy' ? 'calendars' : 'slots');
      }),
      { numRuns: 100 },
    );
  });

  it('getEvent and cancelEvent', async () => {
    const input = fc.record(
      {
        proc: fc.constantFrom<Procedure>('getEvent', 'cancelEvent'),
        // Not the live targets: cancelling them would end the updateEvent property's fun.
        id: fc.oneof(fc.constant(cancelledId), nastyId),
        extra: fc.option(extraKeys, { nil: undefined }),
      },
      { requiredKeys: ['proc'] },
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ proc, id, extra }) => {
        await callChecked(proc, compact({ ...extra, id }), { noGoogleCall: proc === 'getEvent' });
      }),
      { numRuns: 60 },
    );
  });

  it('watch, stopWatch and sync', async () => {
    const input = fc.oneof(
      fc.constant(undefined),
      fc.constant({}),
      fc.record({ full: fc.oneof(fc.boolean(), clientJsonValue()) }),
      extraKeys,
      clientJsonValue({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Procedure>('watch', 'stopWatch', 'sync'), input, async (proc, i) => {
        await callChecked(proc, i);
      }),
      { numRuns: 40 },
    );
    await client.calendar.stopWatch.mutate();
  });

  it('every procedure refuses missing, forged, expired and malformed tokens with UNAUTHORIZED and no Google call', async () => {
    const tokens = await refusedTokens();
    const anyInput = fc.oneof(
      fc.constant(undefined),
      fc.constant({ summary: 'Would be fine', startTime: new Date('2031-05-06T10:00:00Z'), endTime: new Date('2031-05-06T11:00:00Z') }),
      fc.record({ id: fc.constantFrom(...liveIds) }),
      clientJsonValue({ maxDepth: 2 }),
      extraKeys,
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PROCEDURES), fc.constantFrom(...tokens), anyInput, async (proc, token, i) => {
        const r = await callChecked(proc, i, { client: clientFor(() => token), noGoogleCall: true });
        expect(r.ok).toBe(false);
        if (!r.ok && r.status !== 431) {
          expect(r.code).toBe('UNAUTHORIZED');
          expect(r.status).toBe(401);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('well-formed input succeeds', () => {
  it('createEvent stores exactly what was asked', async () => {
    const input = fc.record(
      {
        summary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => s.trim().length > 0),
        description: fc.string({ unit: 'grapheme', maxLength: 200 }),
        range: meetingRange,
        timeZone: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC', 'Pacific/Kiritimati'),
        attendees: fc.uniqueArray(simpleEmail, { maxLength: 3 }),
        createMeetLink: fc.boolean(),
      },
      { requiredKeys: ['summary', 'range'] },
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ range, ...rest }) => {
        const created = await client.calendar.createEvent.mutate({ ...rest, ...range });
        const row = await sys.sql.query<{ summary: string; description: string | null; start_time: Date; end_time: Date; time_zone: string | null; status: string }>(
          'select summary, description, start_time, end_time, time_zone, status from calendar_events where id = $1',
          [created.id],
        );
        expect(row.rows).toHaveLength(1);
        const stored = row.rows[0];
        expect(stored?.summary).toBe(rest.summary.trim());
        expect(stored?.description ?? '').toBe(rest.description ?? '');
        expect(stored?.start_time.toISOString()).toBe(range.startTime.toISOString());
        expect(stored?.end_time.toISOString()).toBe(range.endTime.toISOString());
        expect(stored?.time_zone ?? undefined).toBe(rest.timeZone);
        expect(stored?.status).toBe('confirmed');
        expect(created.attendees.map((a) => a.email).sort()).toEqual((rest.attendees ?? []).map((e) => e.toLowerCase()).sort());
        expect(created.meetLink !== null).toBe(rest.createMeetLink ?? true);
      }),
      { numRuns: 15 },
    );
  });
});
