import { beforeEach, expect, it } from 'vitest';
import { useSystem } from './support/system.ts';

// The series' own listing (not expanded) brings every one-off event again: Google cannot list
// only the series. So a sync lists them only when its listing of occurrences had an occurrence of
// a series; a calendar without any recurring meeting is listed once per sync.
const sys = useSystem();
beforeEach(async () => {
  await sys.reset();
  await sys.sql.query('delete from calendar_series');
});

// Mondays 09:00 in Berlin, twelve times (within the emulator's expansion horizon).
const series = {
  summary: 'Pipeline review',
  start: { dateTime: '2027-03-01T09:00:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2027-03-01T09:30:00', timeZone: 'Europe/Berlin' },
  recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12'],
};
const oneOff = (i: number) => ({ summary: `Intro call ${i}`, start: { dateTime: `2027-03-0${2 + i}T10:00:00Z` }, end: { dateTime: `2027-03-0${2 + i}T10:30:00Z` } });

async function seriesState() {
  const rows = await sys.sql.query<{ google_series_id: string }>('select google_series_id from calendar_series order by google_series_id');
  const token = await sys.sql.query<{ t: string | null }>('select series_sync_token as t from calendar_sync_states');
  return { series: rows.rows.map((r) => r.google_series_id), hasToken: token.rows[0]?.t != null };
}

async function listCalls(run: () => Promise<unknown>): Promise<number> {
  sys.emulator.control.resetStats();
  await run();
  return sys.emulator.control.stats()['events.list'];
}

it('a full sync of a calendar without recurring meetings lists it once; with one, the series are listed too', async () => {
  sys.emulator.control.seedEvents(sys.calendarId, [oneOff(1), oneOff(2)]);
  expect(await listCalls(() => sys.client.calendar.sync.mutate({ full: true }))).toBe(1);
  expect(await seriesState()).toEqual({ series: [], hasToken: false });

  const made = sys.emulator.control.createEvent(sys.calendarId, series);
  expect(await listCalls(() => sys.client.calendar.sync.mutate({ full: true }))).toBe(2);
  expect(await seriesState()).toEqual({ series: [made.id], hasToken: true });
  await sys.expectOccurrencesInSync();
});

it('forgets a deleted series at the next full sync, and lists the series in full when an occurrence comes again', async () => {
  const first = sys.emulator.control.createEvent(sys.calendarId, series);
  sys.emulator.control.seedEvents(sys.calendarId, [oneOff(1)]);
  await sys.client.calendar.sync.mutate({ full: true });
  expect(await seriesState()).toEqual({ series: [first.id], hasToken: true });

  sys.emulator.control.deleteEvent(sys.calendarId, first.id);
  expect(await listCalls(() => sys.client.calendar.sync.mutate({ full: true }))).toBe(1);
  expect(await seriesState()).toEqual({ series: [], hasToken: false });

  // An incremental sync with no series cursor: the new series' occurrences bring its listing, in full.
  const second = sys.emulator.control.createEvent(sys.calendarId, { ...series, summary: 'Forecast call' });
  expect(await listCalls(() => sys.client.calendar.sync.mutate({}))).toBe(2);
  expect(await seriesState()).toEqual({ series: [second.id], hasToken: true });
  const occurrence = (await sys.sql.query<{ id: string }>('select id from calendar_events where recurring_event_id = $1 limit 1', [second.id])).rows[0];
  expect((await sys.client.calendar.getEvent.query({ id: occurrence!.id })).recurrence).toEqual(series.recurrence);

  // A one-off change alone lists nothing more.
  sys.emulator.control.createEvent(sys.calendarId, oneOff(3));
  expect(await listCalls(() => sys.client.calendar.sync.mutate({}))).toBe(1);
  await sys.expectOccurrencesInSync();
});
