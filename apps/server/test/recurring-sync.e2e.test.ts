import { createOrm, migrateUp } from '@calsync/db';
import { GoogleCalendarGateway } from '@calsync/google';
import type { EventInput } from '@calsync/google-calendar-emulator';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseSamples, valueOf } from './support/prometheus.ts';
import { at, useSystem } from './support/system.ts';

// Recurring meetings made and changed by a person in Google Calendar (the emulator's control calls)
// reach our rows through the real paths: the push channel and incremental sync, or the reconcile
// job. After each change our live rows equal the occurrences Google's own client library lists
// (singleEvents), one by one, with no two rows for one occurrence.
const METRICS_TOKEN = 'metrics-token-for-end-to-end-tests-0123456789';
const DAY = 86_400_000;
/** How far the jobs' clock runs ahead of the real one (reconcile's "now"). */
let clockOffsetMs = 0;
const sys = useSystem({
  env: { JOBS_ENABLED: 'true', SYNC_MIN_INTERVAL_MS: '0', METRICS_TOKEN },
  now: () => new Date(Date.now() + clockOffsetMs),
});
/** Google Calendar as a person uses it. */
const person = () => sys.emulator.control;

beforeEach(async () => {
  clockOffsetMs = 0;
  await sys.reset();
  await sys.sql.query('delete from sync_reconciliations');
  await sys.client.calendar.watch.mutate();
});

const BERLIN = 'Europe/Berlin';
// Mondays from 1 March 2027 (daylight saving starts in Berlin on 28 March), within the emulator's
// expansion horizon of two years from now.
const FIRST_MONDAY = '2027-03-01';
/** Week i (0-based) of the series: Sunday noon UTC to Sunday noon UTC, around its Monday 09:00 Berlin. */
const week = (i: number) => ({ timeMin: new Date(at('2027-02-28T12:00:00Z').getTime() + i * 7 * DAY), timeMax: new Date(at('2027-03-07T12:00:00Z').getTime() + i * 7 * DAY) });
/** Where the series put occurrence i (0-based): Monday 09:00 Berlin, as RFC3339 with its offset. */
const mondayAt9 = (i: number) => {
  const day = new Date(at(`${FIRST_MONDAY}T00:00:00Z`).getTime() + i * 7 * DAY).toISOString().slice(0, 10);
  return `${day}T09:00:00${day < '2027-03-28' ? '+01:00' : '+02:00'}`;
};

/** A series a person makes in Google Calendar: Mondays 09:00-09:30 Berlin from FIRST_MONDAY unless told otherwise. */
function personMakesSeries(summary: string, recurrence: string[], fields: EventInput = {}) {
  return person().createEvent(sys.calendarId, {
    summary,
    start: { dateTime: `${FIRST_MONDAY}T09:00:00`, timeZone: BERLIN },
    end: { dateTime: `${FIRST_MONDAY}T09:30:00`, timeZone: BERLIN },
    recurrence,
    ...fields,
  });
}

/** Our events overlapping the window, through the API, all in one page. */
async function ours(window: { timeMin: Date; timeMax: Date }) {
  const page = await sys.client.calendar.listEvents.query({ ...window, limit: 2500 });
  expect(page.nextCursor).toBeNull();
  return page.items;
}

/** Our events week by week for the first `n` weeks of the series. */
async function weekByWeek(n: number) {
  const weeks = [];
  for (let i = 0; i < n; i++) weeks.push(await ours(week(i)));
  return weeks;
}

const localTime = (d: Date, timeZone: string) => d.toLocaleString('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit' });

/**
 * Once every notification and the syncs they caused are done: our rows equal Google's occurrences
 * one by one, and no occurrence of a series has two live rows (by series and original start).
 */
async function expectExact(): Promise<void> {
  await sys.expectOccurrencesInSync();
  const twice = await sys.sql.query(
    `select recurring_event_id, original_start_time, count(*)::int as n from calendar_events
     where status <> 'cancelled' and recurring_event_id is not null group by 1, 2 having count(*) > 1`,
  );
  expect(twice.rows).toEqual([]);
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`${sys.app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return valueOf(parseSamples(await res.text()), name, labels) ?? 0;
}

describe('a series made in Google', () => {
  it('shows in every week of a 12-week window, each occurrence tied to its series; a one-off event is not', async () => {
    const series = personMakesSeries('Pipeline review', ['RRULE:FREQ=WEEKLY;BYDAY=MO']);
    person().createEvent(sys.calendarId, { summary: 'Forecast call', start: { dateTime: '2027-03-03T15:00:00Z' }, end: { dateTime: '2027-03-03T16:00:00Z' } });
    await sys.settle();

    const weeks = await weekByWeek(12);
    for (const [i, items] of weeks.entries()) {
      const occurrences = items.filter((e) => e.summary === 'Pipeline review');
      expect(occurrences, `week ${i + 1}`).toHaveLength(1);
      const [e] = occurrences;
      expect(e?.recurringEventId).toBe(series.id);
      expect(e?.originalStartTime?.toISOString()).toBe(at(mondayAt9(i)).toISOString());
      expect(e?.startTime.toISOString()).toBe(at(mondayAt9(i)).toISOString());
      expect(localTime(e!.startTime, BERLIN)).toBe('Mon 09:00');
    }
    const [oneOff] = weeks[0]!.filter((e) => e.summary === 'Forecast call');
    expect(oneOff).toMatchObject({ recurringEventId: null, originalStartTime: null });
    expect(await ours({ timeMin: at('2027-02-01T00:00:00Z'), timeMax: week(0).timeMin })).toEqual([]);
    await expectExact();
  });
});

describe('one occurrence changed in Google', () => {
  const REVIEW = ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12'];

  it('moved: the same row moves, its original start stays, every other week keeps its one occurrence', async () => {
    const series = personMakesSeries('Pipeline review', REVIEW);
    await sys.settle();
    const [before] = await ours(week(2));

    person().editInstance(sys.calendarId, series.id, mondayAt9(2), {
      start: { dateTime: '2027-03-17T14:00:00', timeZone: BERLIN },
      end: { dateTime: '2027-03-17T14:30:00', timeZone: BERLIN },
    });
    await sys.settle();

    const weeks = await weekByWeek(12);
    expect(weeks.map((w) => w.length)).toEqual(Array(12).fill(1));
    const moved = weeks[2]![0]!;
    expect(moved).toMatchObject({ id: before!.id, googleEventId: before!.googleEventId, recurringEventId: series.id });
    expect(moved.startTime.toISOString()).toBe('2027-03-17T13:00:00.000Z');
    expect(moved.originalStartTime?.toISOString()).toBe(at(mondayAt9(2)).toISOString());
    await expectExact();
  });

  it('cancelled: it disappears, the other weeks stay', async () => {
    const series = personMakesSeries('Pipeline review', REVIEW);
    await sys.settle();
    const [third] = await ours(week(2));

    person().cancelInstance(sys.calendarId, series.id, mondayAt9(2));
    await sys.settle();

    expect((await weekByWeek(12)).map((w) => w.length)).toEqual([1, 1, 0, ...Array(9).fill(1)]);
    const row = await sys.sql.query('select status from calendar_events where id = $1', [third!.id]);
    expect(row.rows).toEqual([{ status: 'cancelled' }]);
    await expectExact();
  });

  it('renamed: that occurrence only', async () => {
    const series = personMakesSeries('Pipeline review', REVIEW);
    await sys.settle();

    person().editInstance(sys.calendarId, series.id, mondayAt9(2), { summary: 'Pipeline review (QBR week)' });
    await sys.settle();

    const weeks = await weekByWeek(12);
    expect(weeks.map((w) => w.map((e) => e.summary))).toEqual([
      ['Pipeline review'],
      ['Pipeline review'],
      ['Pipeline review (QBR week)'],
      ...Array(9).fill(['Pipeline review']),
    ]);
    expect(weeks[2]![0]!.startTime.toISOString()).toBe(at(mondayAt9(2)).toISOString());
    await expectExact();
  });
});

describe('the whole series changed in Google', () => {
  it('renamed: every occurrence renamed; exceptions keep their own time and fields, a cancelled one stays away', async () => {
    const series = personMakesSeries('Pipeline review', ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12']);
    person().editInstance(sys.calendarId, series.id, mondayAt9(2), {
      start: { dateTime: '2027-03-16T11:00:00', timeZone: BERLIN },
      end: { dateTime: '2027-03-16T11:30:00', timeZone: BERLIN },
      location: 'Room 4',
    });
    person().editInstance(sys.calendarId, series.id, mondayAt9(6), { summary: 'Pipeline review (QBR week)' });
    person().cancelInstance(sys.calendarId, series.id, mondayAt9(4));
    await sys.settle();

    person().editEvent(sys.calendarId, series.id, { summary: 'Weekly pipeline' });
    await sys.settle();

    const weeks = await weekByWeek(12);
    expect(weeks.map((w) => w.length)).toEqual([1, 1, 1, 1, 0, ...Array(7).fill(1)]);
    const unmodified = weeks.filter((_, i) => ![2, 4, 6].includes(i)).map((w) => w[0]!);
    expect(unmodified.map((e) => [e.summary, e.location])).toEqual(Array(9).fill(['Weekly pipeline', null]));
    const moved = weeks[2]![0]!;
    expect([moved.summary, moved.location, moved.startTime.toISOString()]).toEqual(['Weekly pipeline', 'Room 4', '2027-03-16T10:00:00.000Z']);
    // The renamed occurrence is what Google made of it (Google Calendar passes the series' new
    // title on to it): ours shows the same.
    const googleSeventh = (await sys.googleOccurrences()).find((e) => e.start === at(mondayAt9(6)).toISOString());
    expect(weeks[6]![0]!.summary).toBe(googleSeventh?.summary);
    const rule = await sys.client.calendar.getEvent.query({ id: unmodified[0]!.id });
    expect(rule.recurrence).toEqual(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12']);
    await expectExact();
  });

  it('split "this and following": the old series ends (UNTIL), the new one goes on; no duplicate, no ghost', async () => {
    const series = personMakesSeries('Pipeline review', ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12']);
    // A moved occurrence before the split stays; a renamed one after it is dropped, as Google Calendar warns.
    person().editInstance(sys.calendarId, series.id, mondayAt9(1), {
      start: { dateTime: '2027-03-09T10:00:00', timeZone: BERLIN },
      end: { dateTime: '2027-03-09T10:30:00', timeZone: BERLIN },
    });
    person().editInstance(sys.calendarId, series.id, mondayAt9(7), { summary: 'Pipeline review (QBR week)' });
    await sys.settle();

    const { series: ended, following } = person().splitSeries(sys.calendarId, series.id, mondayAt9(4), { summary: 'Pipeline review (new format)' });
    await sys.settle();

    const weeks = await weekByWeek(12);
    expect(weeks.map((w) => w.length)).toEqual(Array(12).fill(1));
    const all = weeks.map((w) => w[0]!);
    expect(all.map((e) => e.summary)).toEqual([...Array(4).fill('Pipeline review'), ...Array(8).fill('Pipeline review (new format)')]);
    expect(all.map((e) => e.recurringEventId)).toEqual([...Array(4).fill(series.id), ...Array(8).fill(following.id)]);
    expect(all[1]!.startTime.toISOString()).toBe('2027-03-09T09:00:00.000Z');
    expect(all.filter((_, i) => i !== 1).map((e) => localTime(e.startTime, BERLIN))).toEqual(Array(11).fill('Mon 09:00'));

    expect(ended.recurrence).toEqual([expect.stringMatching(/^RRULE:.*;UNTIL=/)]);
    expect((await sys.client.calendar.getEvent.query({ id: all[0]!.id })).recurrence).toEqual(ended.recurrence);
    expect((await sys.client.calendar.getEvent.query({ id: all[5]!.id })).recurrence).toEqual(following.recurrence);
    await expectExact();
  });

  it('deleted: every occurrence goes, moved ones too; other events stay', async () => {
    const series = personMakesSeries('Pipeline review', ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12']);
    person().editInstance(sys.calendarId, series.id, mondayAt9(3), {
      start: { dateTime: '2027-03-24T16:00:00', timeZone: BERLIN },
      end: { dateTime: '2027-03-24T16:30:00', timeZone: BERLIN },
    });
    person().createEvent(sys.calendarId, { summary: 'Forecast call', start: { dateTime: '2027-03-03T15:00:00Z' }, end: { dateTime: '2027-03-03T16:00:00Z' } });
    await sys.settle();
    expect((await weekByWeek(12)).flat()).toHaveLength(13);

    person().deleteEvent(sys.calendarId, series.id);
    await sys.settle();

    expect((await weekByWeek(12)).flat().map((e) => e.summary)).toEqual(['Forecast call']);
    const kept = await sys.sql.query('select google_series_id from calendar_series');
    expect(kept.rows).toEqual([]);
    await expectExact();
  });
});

describe('time', () => {
  it('an endless daily series is still there 3 years out once reconcile has rolled the horizon', async () => {
    const jobs = sys.app.jobs;
    if (!jobs) throw new Error('jobs are enabled in this system');
    // A daily stand-up made today, starting tomorrow at 09:00 Berlin, without end.
    const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    const standUp = personMakesSeries('Stand-up', ['RRULE:FREQ=DAILY'], {
      start: { dateTime: `${tomorrow}T09:00:00`, timeZone: BERLIN },
      end: { dateTime: `${tomorrow}T09:15:00`, timeZone: BERLIN },
    });
    await sys.settle();
    const threeYearsOutMs = at(`${tomorrow}T00:00:00Z`).getTime() + 3 * 365 * DAY;
    const threeYearsOut = { timeMin: new Date(threeYearsOutMs), timeMax: new Date(threeYearsOutMs + DAY) };
    // Beyond Google's horizon (about two years) nothing is expanded yet, there or here.
    const before = await sys.googleOccurrences();
    expect(before.some((e) => at(e.start) >= threeYearsOut.timeMin)).toBe(false);
    expect(await ours(threeYearsOut)).toEqual([]);

    // Reconcile before the full-sync interval has passed: nothing rolls.
    expect(await jobs.runNow('reconcile')).toMatchObject({ calendars: 1, drift: 0, horizonRolled: 0 });

    // 420 days later, for Google and for us.
    person().advanceClock(420 * DAY);
    clockOffsetMs = 420 * DAY;
    const result = await jobs.runNow('reconcile');

    const after = await sys.googleOccurrences();
    expect(after.length).toBeGreaterThan(before.length + 400);
    expect(result).toMatchObject({ calendars: 1, drift: 0, horizonRolled: after.length - before.length, failedCount: 0 });
    const there = await ours(threeYearsOut);
    expect(there.map((e) => [e.summary, e.recurringEventId, localTime(e.startTime, BERLIN).slice(-5)])).toEqual([['Stand-up', standUp.id, '09:00']]);
    await expectExact();
  });

  it('a weekly 09:00 meeting stays at 09:00 local across both daylight-saving switches (Berlin and New York)', async () => {
    const rule = ['RRULE:FREQ=WEEKLY;COUNT=40'];
    const berlin = personMakesSeries('Berlin weekly', rule);
    const newYork = personMakesSeries('New York weekly', rule, {
      start: { dateTime: '2027-03-02T09:00:00', timeZone: 'America/New_York' },
      end: { dateTime: '2027-03-02T10:00:00', timeZone: 'America/New_York' },
    });
    await sys.settle();

    const year = await ours({ timeMin: at('2027-02-28T00:00:00Z'), timeMax: at('2027-12-31T00:00:00Z') });
    for (const [series, zone, utcHours] of [
      [berlin, BERLIN, [8, 7, 8]],
      [newYork, 'America/New_York', [14, 13, 14]],
    ] as const) {
      const items = year.filter((e) => e.recurringEventId === series.id);
      expect(items).toHaveLength(40);
      expect(new Set(items.map((e) => localTime(e.startTime, zone).slice(-5)))).toEqual(new Set(['09:00']));
      // Winter time, summer time, winter time again: UTC hours change at both switches, in that order.
      const runs = items.map((e) => e.startTime.getUTCHours()).filter((h, i, hs) => i === 0 || hs[i - 1] !== h);
      expect(runs).toEqual(utcHours);
      expect(items.every((e) => e.timeZone === zone)).toBe(true);
    }
    await expectExact();
  });

  it('an all-day weekly series is whole days, a moved occurrence too', async () => {
    const series = personMakesSeries('Field day', ['RRULE:FREQ=WEEKLY;COUNT=8'], { start: { date: '2027-03-05' }, end: { date: '2027-03-06' } });
    person().editInstance(sys.calendarId, series.id, '2027-03-26', { start: { date: '2027-03-27' }, end: { date: '2027-03-28' } });
    await sys.settle();

    const items = await ours({ timeMin: at('2027-03-01T00:00:00Z'), timeMax: at('2027-05-01T00:00:00Z') });
    expect(items.map((e) => e.startTime.toISOString().slice(0, 10))).toEqual(['2027-03-05', '2027-03-12', '2027-03-19', '2027-03-27', '2027-04-02', '2027-04-09', '2027-04-16', '2027-04-23']);
    for (const e of items) {
      expect(e).toMatchObject({ allDay: true, recurringEventId: series.id });
      expect(e.startTime.toISOString()).toMatch(/T00:00:00\.000Z$/);
      expect(e.endTime.getTime() - e.startTime.getTime()).toBe(DAY);
      expect(e.originalStartTime?.toISOString()).toMatch(/T00:00:00\.000Z$/);
    }
    expect(items[3]!.originalStartTime?.toISOString()).toBe('2027-03-26T00:00:00.000Z');
    await expectExact();
  });
});

describe('order of arrival and cost', () => {
  it('an exception that reaches us before its series (an earlier page of the sync) is placed right', async () => {
    // Held notifications: everything below arrives in one incremental sync, in Google's change
    // order: the moved occurrence, then 2,500 other events (a full page), then the series itself
    // (a person extended it last), so the exception is committed a page before its series.
    person().configureNotifications({ paused: true }, sys.calendarId);
    const series = personMakesSeries('Pipeline review', ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12']);
    person().editInstance(sys.calendarId, series.id, mondayAt9(2), {
      summary: 'Pipeline review (moved)',
      start: { dateTime: '2027-03-18T15:00:00', timeZone: BERLIN },
      end: { dateTime: '2027-03-18T15:30:00', timeZone: BERLIN },
    });
    person().seedEvents(sys.calendarId, 2500);
    person().editEvent(sys.calendarId, series.id, { recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=13'] });
    person().resetStats();
    person().flushNotifications({ calendarId: sys.calendarId });
    person().configureNotifications({ paused: false }, sys.calendarId);
    await sys.settle();
    expect(person().stats()['events.list']).toBeGreaterThanOrEqual(3);

    const weeks = await weekByWeek(13);
    expect(weeks.map((w) => w.length)).toEqual(Array(13).fill(1));
    const moved = weeks[2]![0]!;
    expect(moved).toMatchObject({ summary: 'Pipeline review (moved)', recurringEventId: series.id });
    expect(moved.startTime.toISOString()).toBe('2027-03-18T14:00:00.000Z');
    expect(moved.originalStartTime?.toISOString()).toBe(at(mondayAt9(2)).toISOString());
    expect((await sys.client.calendar.getEvent.query({ id: moved.id })).recurrence).toEqual(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=13']);
    await expectExact();
  });

  it('an edit of a whole 2-year weekly series is one sync of two list calls; a one-off edit one call', async () => {
    // 100 Mondays from January 2027: two years, all within Google's horizon.
    const series = personMakesSeries('Pipeline review', ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=100'], {
      start: { dateTime: '2027-01-04T09:00:00', timeZone: BERLIN },
      end: { dateTime: '2027-01-04T09:30:00', timeZone: BERLIN },
    });
    const oneOff = person().createEvent(sys.calendarId, { summary: 'Forecast call', start: { dateTime: '2027-03-03T15:00:00Z' }, end: { dateTime: '2027-03-03T16:00:00Z' } });
    await sys.settle();
    const syncs = () => metric('calsync_sync_runs_total', { kind: 'incremental', outcome: 'success' });

    let runs = await syncs();
    person().resetStats();
    person().editEvent(sys.calendarId, series.id, { summary: 'Weekly pipeline' });
    await sys.settle();
    expect(person().stats()['events.list']).toBe(2);
    expect((await syncs()) - runs).toBe(1);
    const renamed = await sys.sql.query(`select count(*)::int as n from calendar_events where summary = 'Weekly pipeline' and status <> 'cancelled'`);
    expect(renamed.rows[0].n).toBe(100);
    await expectExact();

    runs = await syncs();
    person().resetStats();
    person().editEvent(sys.calendarId, oneOff.id, { summary: 'Forecast call (moved up)' });
    await sys.settle();
    expect(person().stats()['events.list']).toBe(1);
    expect((await syncs()) - runs).toBe(1);
    await expectExact();
  });
});

describe('upgrade from a database that stored each series as one row', () => {
  const BEFORE_RECURRING = 'Migration20261206025541_connected_calendars';

  it('the migration forces a full sync: nothing disappears before it, everything is exact after it', async () => {
    const series = personMakesSeries('Pipeline review', ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12']);
    person().editInstance(sys.calendarId, series.id, mondayAt9(3), {
      start: { dateTime: '2027-03-23T11:00:00', timeZone: BERLIN },
      end: { dateTime: '2027-03-23T11:30:00', timeZone: BERLIN },
    });
    person().cancelInstance(sys.calendarId, series.id, mondayAt9(5));
    person().createEvent(sys.calendarId, { summary: 'Forecast call', start: { dateTime: '2027-03-03T15:00:00Z' }, end: { dateTime: '2027-03-03T16:00:00Z' } });
    await sys.settle();

    // The database as the release before recurring meetings left it: schema before the migration,
    // rows from its listing without singleEvents (the series as one row at its first occurrence,
    // a moved occurrence as a row of its own), and that listing's sync token.
    const orm = await createOrm({ clientUrl: sys.databaseUrl, entities: [] });
    try {
      await orm.migrator.down({ to: BEFORE_RECURRING });
      await sys.sql.query('delete from calendar_events');
      const old = await new GoogleCalendarGateway({ credentials: sys.key, apiBaseUrl: sys.emulator.url }).listEvents(
        { calendarId: sys.calendarId, subject: sys.env.GOOGLE_IMPERSONATE_USER },
        { showDeleted: false },
      );
      const rows = old.items.filter((e) => e.status !== 'cancelled');
      expect(rows.map((e) => e.summary).sort()).toEqual(['Forecast call', 'Pipeline review', 'Pipeline review']);
      await sys.sql.query(
        `insert into calendar_events (id, calendar_id, google_event_id, summary, start_time, end_time, time_zone, all_day, status, etag, google_updated_at, created_at, updated_at)
         select gen_random_uuid(), $1, r.id, r.summary, r.start_time, r.end_time, r.time_zone, false, 'confirmed', r.etag, r.updated, now() - interval '1 day', now() - interval '1 day'
         from jsonb_to_recordset($2::jsonb) as r(id text, summary text, start_time timestamptz, end_time timestamptz, time_zone text, etag text, updated timestamptz)`,
        [
          sys.calendarId,
          JSON.stringify(
            rows.map((e) => ({ id: e.id, summary: e.summary, start_time: e.start?.dateTime, end_time: e.end?.dateTime, time_zone: e.start?.timeZone ?? null, etag: e.etag, updated: e.updated })),
          ),
        ],
      );
      await sys.sql.query('update calendar_sync_states set sync_token = $1', [old.nextSyncToken]);

      await migrateUp(orm);
    } finally {
      await orm.close(true);
    }

    // Upgraded, not synced yet: the meeting still shows where it was.
    const firstWeek = await ours(week(0));
    expect(firstWeek.map((e) => [e.summary, e.googleEventId])).toEqual([
      ['Pipeline review', series.id],
      ['Forecast call', expect.any(String)],
    ]);
    expect((await ours(week(3))).map((e) => e.summary)).toEqual(['Pipeline review']);

    // The next notification (a person edits something) brings the full listing.
    const fullBefore = await metric('calsync_sync_full_resyncs_total', { reason: 'no_token' });
    person().editInstance(sys.calendarId, series.id, mondayAt9(7), { summary: 'Pipeline review (QBR week)' });
    await sys.settle();
    expect((await metric('calsync_sync_full_resyncs_total', { reason: 'no_token' })) - fullBefore).toBe(1);

    const weeks = await weekByWeek(12);
    expect(weeks.map((w) => w.filter((e) => e.summary !== 'Forecast call').length)).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    const occurrences = weeks.flat().filter((e) => e.summary !== 'Forecast call');
    expect(occurrences.map((e) => e.recurringEventId)).toEqual(Array(11).fill(series.id));
    expect(occurrences.every((e) => e.originalStartTime !== null)).toBe(true);
    expect(occurrences.map((e) => e.googleEventId)).not.toContain(series.id);
    expect(occurrences[3]!.startTime.toISOString()).toBe('2027-03-23T10:00:00.000Z');
    expect(occurrences[3]!.originalStartTime?.toISOString()).toBe(at(mondayAt9(3)).toISOString());
    expect(occurrences[6]!.summary).toBe('Pipeline review (QBR week)');
    expect((await sys.client.calendar.getEvent.query({ id: occurrences[0]!.id })).recurrence).toEqual(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12']);
    await expectExact();
  });
});
