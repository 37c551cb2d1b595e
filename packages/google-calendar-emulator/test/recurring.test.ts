/**
 * Recurring events through the real client library: series, their instances, modified and cancelled
 * occurrences, splits, singleEvents listings with sync tokens, orderBy=startTime, events.instances.
 */
import type { calendar_v3 } from '@googleapis/calendar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from './google-client.ts';
import { USER, useEmulator } from './fixture.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/** The emulator's "now": a Monday, so weekly series are easy to read. */
const NOW = Date.parse('2030-01-07T00:00:00Z');
const f = useEmulator({ now: () => NOW, pushRetry: { baseDelayMs: 10, maxAttempts: 2 } });
const DAY = 86_400_000;

type Event = calendar_v3.Schema$Event;

/** A weekly Monday meeting, 09:00-10:00 Berlin time, from 2030-01-07. */
function weekly(extra: Partial<Event> = {}, rule = 'RRULE:FREQ=WEEKLY'): Event {
  return {
    summary: 'Weekly sync',
    start: { dateTime: '2030-01-07T09:00:00+01:00', timeZone: 'Europe/Berlin' },
    end: { dateTime: '2030-01-07T10:00:00+01:00', timeZone: 'Europe/Berlin' },
    recurrence: [rule],
    ...extra,
  };
}

async function insert(body: Event): Promise<Event> {
  return (await f.user.events.insert({ calendarId: 'primary', requestBody: body })).data;
}

async function listAll(params: calendar_v3.Params$Resource$Events$List): Promise<{ items: Event[]; pages: calendar_v3.Schema$Events[] }> {
  const pages: calendar_v3.Schema$Events[] = [];
  let pageToken: string | undefined;
  do {
    const { data } = await f.user.events.list({ calendarId: 'primary', ...params, ...(pageToken ? { pageToken } : {}) });
    pages.push(data);
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return { items: pages.flatMap((p) => p.items ?? []), pages };
}

/** A full singleEvents sync: its items and the token for the next incremental one. */
async function fullSync(maxResults = 7): Promise<{ items: Event[]; token: string }> {
  const { items, pages } = await listAll({ singleEvents: true, maxResults });
  return { items, token: pages.at(-1)!.nextSyncToken! };
}

async function incremental(token: string): Promise<{ items: Event[]; token: string }> {
  const { items, pages } = await listAll({ singleEvents: true, syncToken: token, maxResults: 7 });
  return { items, token: pages.at(-1)!.nextSyncToken! };
}

const summary = (e: Event): string => `${e.id} ${e.status} ${e.start?.dateTime ?? e.start?.date ?? '-'} ${e.summary ?? '-'}`;
const byId = (items: Event[]): Map<string, Event> => new Map(items.map((e) => [e.id!, e]));

describe('a recurring series', () => {
  it('is stored as Google stores it: one master with its recurrence, no DTSTART line', async () => {
    const series = await insert(weekly({ description: 'agenda' }));
    expect(series).toMatchObject({
      status: 'confirmed',
      summary: 'Weekly sync',
      recurrence: ['RRULE:FREQ=WEEKLY'],
      start: { dateTime: '2030-01-07T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      iCalUID: `${series.id}@google.com`,
    });
    expect(series.recurringEventId).toBeUndefined();
    expect((await f.user.events.get({ calendarId: 'primary', eventId: series.id! })).data.recurrence).toEqual(['RRULE:FREQ=WEEKLY']);
    // Without singleEvents the listing holds the series itself, once.
    const plain = await listAll({});
    expect(plain.items.map((e) => e.id)).toEqual([series.id]);
  });

  it('lists every week of a 12-week window as an instance with Google\'s id and fields', async () => {
    const series = await insert(weekly({ description: 'agenda', location: 'Room 1' }));
    const { items } = await listAll({ singleEvents: true, timeMin: '2030-01-07T00:00:00Z', timeMax: '2030-04-01T00:00:00Z', orderBy: 'startTime' });
    expect(items).toHaveLength(12);
    const first = items[0]!;
    expect(first).toEqual({
      kind: 'calendar#event',
      etag: expect.stringMatching(/^"\d+"$/),
      id: `${series.id}_20300107T080000Z`,
      status: 'confirmed',
      htmlLink: expect.any(String),
      created: series.created,
      updated: series.updated,
      summary: 'Weekly sync',
      description: 'agenda',
      location: 'Room 1',
      creator: { email: USER, self: true },
      organizer: { email: USER, self: true },
      start: { dateTime: '2030-01-07T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-01-07T10:00:00+01:00', timeZone: 'Europe/Berlin' },
      recurringEventId: series.id,
      originalStartTime: { dateTime: '2030-01-07T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      iCalUID: series.iCalUID,
      sequence: 0,
      reminders: { useDefault: true },
      eventType: 'default',
    });
    expect(items.map((e) => e.id!.slice(series.id!.length + 1))).toEqual([
      '20300107T080000Z', '20300114T080000Z', '20300121T080000Z', '20300128T080000Z', '20300204T080000Z', '20300211T080000Z',
      '20300218T080000Z', '20300225T080000Z', '20300304T080000Z', '20300311T080000Z', '20300318T080000Z', '20300325T080000Z',
    ]);
    expect(items.every((e) => e.recurrence === undefined && e.recurringEventId === series.id)).toBe(true);
    expect(new Set(items.map((e) => e.etag)).size).toBe(12);
    // An unmodified occurrence can be fetched by its id; a slot the rule does not produce cannot.
    const got = await f.user.events.get({ calendarId: 'primary', eventId: `${series.id}_20300114T080000Z` });
    expect(got.data).toEqual(items[1]);
    expect(await failure(f.user.events.get({ calendarId: 'primary', eventId: `${series.id}_20300115T080000Z` }))).toMatchObject({ status: 404, reason: 'notFound' });
  });

  it('keeps 09:00 local across daylight-saving switches, both ways, in Berlin and New York', async () => {
    const berlin = await insert(weekly({ start: { dateTime: '2030-03-18T09:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-03-18T09:30:00+01:00', timeZone: 'Europe/Berlin' } }, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    const autumn = await insert(weekly({ start: { dateTime: '2030-10-21T09:00:00+02:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-10-21T09:30:00+02:00', timeZone: 'Europe/Berlin' } }, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    const ny = await insert(weekly({ start: { dateTime: '2030-03-04T09:00:00-05:00', timeZone: 'America/New_York' }, end: { dateTime: '2030-03-04T09:30:00-05:00', timeZone: 'America/New_York' } }, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    const nyAutumn = await insert(weekly({ start: { dateTime: '2030-10-28T09:00:00-04:00', timeZone: 'America/New_York' }, end: { dateTime: '2030-10-28T09:30:00-04:00', timeZone: 'America/New_York' } }, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    const { items } = await listAll({ singleEvents: true, orderBy: 'startTime' });
    const of = (s: Event): string[] => items.filter((e) => e.recurringEventId === s.id).map((e) => `${e.start!.dateTime} ${e.end!.dateTime} ${e.id!.split('_')[1]}`);
    expect(of(berlin)).toEqual([
      '2030-03-18T09:00:00+01:00 2030-03-18T09:30:00+01:00 20300318T080000Z',
      '2030-03-25T09:00:00+01:00 2030-03-25T09:30:00+01:00 20300325T080000Z',
      '2030-04-01T09:00:00+02:00 2030-04-01T09:30:00+02:00 20300401T070000Z',
    ]);
    expect(of(autumn)).toEqual([
      '2030-10-21T09:00:00+02:00 2030-10-21T09:30:00+02:00 20301021T070000Z',
      '2030-10-28T09:00:00+01:00 2030-10-28T09:30:00+01:00 20301028T080000Z',
      '2030-11-04T09:00:00+01:00 2030-11-04T09:30:00+01:00 20301104T080000Z',
    ]);
    expect(of(ny)).toEqual([
      '2030-03-04T09:00:00-05:00 2030-03-04T09:30:00-05:00 20300304T140000Z',
      '2030-03-11T09:00:00-04:00 2030-03-11T09:30:00-04:00 20300311T130000Z',
      '2030-03-18T09:00:00-04:00 2030-03-18T09:30:00-04:00 20300318T130000Z',
    ]);
    expect(of(nyAutumn)).toEqual([
      '2030-10-28T09:00:00-04:00 2030-10-28T09:30:00-04:00 20301028T130000Z',
      '2030-11-04T09:00:00-05:00 2030-11-04T09:30:00-05:00 20301104T140000Z',
      '2030-11-11T09:00:00-05:00 2030-11-11T09:30:00-05:00 20301111T140000Z',
    ]);
  });

  it('all-day weekly: ids end in _YYYYMMDD, times and originalStartTime are dates', async () => {
    const series = await insert({ summary: 'Gym', start: { date: '2030-01-08' }, end: { date: '2030-01-09' }, recurrence: ['RRULE:FREQ=WEEKLY;UNTIL=20300122'] });
    const { items } = await listAll({ singleEvents: true, orderBy: 'startTime' });
    expect(items.map((e) => [e.id, e.start, e.end, e.originalStartTime])).toEqual([
      [`${series.id}_20300108`, { date: '2030-01-08' }, { date: '2030-01-09' }, { date: '2030-01-08' }],
      [`${series.id}_20300115`, { date: '2030-01-15' }, { date: '2030-01-16' }, { date: '2030-01-15' }],
      [`${series.id}_20300122`, { date: '2030-01-22' }, { date: '2030-01-23' }, { date: '2030-01-22' }],
    ]);
    const moved = await f.user.events.patch({ calendarId: 'primary', eventId: `${series.id}_20300115`, requestBody: { start: { date: '2030-01-16' }, end: { date: '2030-01-17' } } });
    expect(moved.data).toMatchObject({ id: `${series.id}_20300115`, start: { date: '2030-01-16' }, originalStartTime: { date: '2030-01-15' } });
  });

  it('RRULE details Google uses: BYDAY, INTERVAL, BYMONTHDAY, BYSETPOS, COUNT, EXDATE, RDATE, EXRULE', async () => {
    const ids = async (rule: string[], start = '2030-01-07T09:00:00+01:00'): Promise<string[]> => {
      f.emu.control.reset();
      await insert(weekly({ start: { dateTime: start, timeZone: 'Europe/Berlin' }, end: { dateTime: start.replace('T09', 'T10'), timeZone: 'Europe/Berlin' }, recurrence: rule }));
      const { items } = await listAll({ singleEvents: true, orderBy: 'startTime', timeMax: '2030-07-01T00:00:00Z' });
      return items.map((e) => e.start!.dateTime!.slice(0, 10));
    };
    expect(await ids(['RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4'])).toEqual(['2030-01-07', '2030-01-09', '2030-01-14', '2030-01-16']);
    expect(await ids(['RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3'])).toEqual(['2030-01-07', '2030-01-21', '2030-02-04']);
    expect(await ids(['RRULE:FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3'], '2030-01-15T09:00:00+01:00')).toEqual(['2030-01-15', '2030-02-15', '2030-03-15']);
    // Last weekday of the month.
    expect(await ids(['RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3'], '2030-01-31T09:00:00+01:00')).toEqual(['2030-01-31', '2030-02-28', '2030-03-29']);
    expect(await ids(['RRULE:FREQ=WEEKLY;COUNT=4', 'EXDATE;TZID=Europe/Berlin:20300114T090000', 'RDATE;TZID=Europe/Berlin:20300115T090000'])).toEqual([
      '2030-01-07', '2030-01-15', '2030-01-21', '2030-01-28',
    ]);
    expect(await ids(['RRULE:FREQ=WEEKLY;UNTIL=20300204T080000Z', 'EXRULE:FREQ=WEEKLY;INTERVAL=2'])).toEqual(['2030-01-14', '2030-01-28']);
    // The start is an occurrence even when the rule does not produce it, and it does not use up COUNT.
    expect(await ids(['RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2'])).toEqual(['2030-01-07', '2030-01-08', '2030-01-15']);
  });
});

describe('occurrences: moved, renamed, cancelled', () => {
  it('patching an occurrence makes it an exception; the others stay as they were', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=4'));
    const id = `${series.id}_20300114T080000Z`;
    const moved = await f.user.events.patch({
      calendarId: 'primary',
      eventId: id,
      requestBody: { summary: 'Moved sync', start: { dateTime: '2030-01-15T14:00:00+01:00' }, end: { dateTime: '2030-01-15T15:00:00+01:00' } },
    });
    expect(moved.data).toMatchObject({
      id,
      summary: 'Moved sync',
      recurringEventId: series.id,
      start: { dateTime: '2030-01-15T14:00:00+01:00', timeZone: 'Europe/Berlin' },
      originalStartTime: { dateTime: '2030-01-14T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      iCalUID: series.iCalUID,
      sequence: 1,
    });
    const { items } = await listAll({ singleEvents: true, orderBy: 'startTime' });
    expect(items.map(summary)).toEqual([
      `${series.id}_20300107T080000Z confirmed 2030-01-07T09:00:00+01:00 Weekly sync`,
      `${id} confirmed 2030-01-15T14:00:00+01:00 Moved sync`,
      `${series.id}_20300121T080000Z confirmed 2030-01-21T09:00:00+01:00 Weekly sync`,
      `${series.id}_20300128T080000Z confirmed 2030-01-28T09:00:00+01:00 Weekly sync`,
    ]);
    // Without singleEvents: the series and its exception.
    expect((await listAll({})).items.map((e) => e.id).sort()).toEqual([series.id, id].sort());
    expect((await f.user.events.get({ calendarId: 'primary', eventId: id })).data.summary).toBe('Moved sync');
  });

  it('deleting an occurrence cancels it: gone from listings, a cancelled instance with showDeleted, 410 twice', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    const id = `${series.id}_20300114T080000Z`;
    expect((await f.user.events.delete({ calendarId: 'primary', eventId: id })).status).toBe(204);
    expect(await failure(f.user.events.delete({ calendarId: 'primary', eventId: id }))).toMatchObject({ status: 410, reason: 'deleted' });
    expect((await listAll({ singleEvents: true })).items.map((e) => e.id)).toEqual([`${series.id}_20300107T080000Z`, `${series.id}_20300121T080000Z`]);
    const cancelled = {
      kind: 'calendar#event',
      etag: expect.any(String),
      id,
      status: 'cancelled',
      recurringEventId: series.id,
      originalStartTime: { dateTime: '2030-01-14T09:00:00+01:00', timeZone: 'Europe/Berlin' },
    };
    expect((await listAll({ singleEvents: true, showDeleted: true })).items.find((e) => e.id === id)).toEqual(cancelled);
    // "Cancelled instances of recurring events ... will still be included if showDeleted and singleEvents are both False."
    expect((await listAll({})).items).toEqual([expect.objectContaining({ id: series.id }), cancelled]);
    expect((await f.user.events.get({ calendarId: 'primary', eventId: id })).data.status).toBe('cancelled');
  });

  it('renaming the series renames every occurrence, the moved one too (it keeps its time)', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    await f.user.events.patch({ calendarId: 'primary', eventId: `${series.id}_20300114T080000Z`, requestBody: { start: { dateTime: '2030-01-14T11:00:00+01:00' }, end: { dateTime: '2030-01-14T12:00:00+01:00' } } });
    await f.user.events.patch({ calendarId: 'primary', eventId: series.id!, requestBody: { summary: 'Renamed sync' } });
    const { items } = await listAll({ singleEvents: true, orderBy: 'startTime' });
    expect(items.map((e) => `${e.start!.dateTime} ${e.summary}`)).toEqual([
      '2030-01-07T09:00:00+01:00 Renamed sync',
      '2030-01-14T11:00:00+01:00 Renamed sync',
      '2030-01-21T09:00:00+01:00 Renamed sync',
    ]);
  });

  it('moving the whole series gives its occurrences new ids (their original start changed)', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=2'));
    const { token } = await fullSync();
    await f.user.events.patch({ calendarId: 'primary', eventId: series.id!, requestBody: { start: { dateTime: '2030-01-07T10:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-01-07T11:00:00+01:00', timeZone: 'Europe/Berlin' } } });
    expect((await listAll({ singleEvents: true })).items.map((e) => e.id)).toEqual([`${series.id}_20300107T090000Z`, `${series.id}_20300114T090000Z`]);
    expect((await incremental(token)).items.map((e) => `${e.id!.split('_')[1]} ${e.status}`)).toEqual([
      '20300107T080000Z cancelled',
      '20300107T090000Z confirmed',
      '20300114T080000Z cancelled',
      '20300114T090000Z confirmed',
    ]);
  });

  it('deleting the series cancels every occurrence, the modified ones too', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    await f.user.events.patch({ calendarId: 'primary', eventId: `${series.id}_20300114T080000Z`, requestBody: { summary: 'Special' } });
    await f.user.events.delete({ calendarId: 'primary', eventId: series.id! });
    expect((await listAll({ singleEvents: true })).items).toEqual([]);
    const deleted = (await listAll({ singleEvents: true, showDeleted: true })).items;
    expect(deleted.map((e) => `${e.id} ${e.status} ${e.recurringEventId}`).sort()).toEqual(
      ['20300107T080000Z', '20300114T080000Z', '20300121T080000Z'].map((s) => `${series.id}_${s} cancelled ${series.id}`),
    );
  });
});

describe('singleEvents=true with sync tokens', () => {
  it('an incremental sync after each change holds exactly the changed instances', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=4'));
    const one = await insert({ summary: 'One-off', start: { dateTime: '2030-01-08T12:00:00Z' }, end: { dateTime: '2030-01-08T13:00:00Z' } });
    const inst = (stamp: string): string => `${series.id}_${stamp}`;
    let { items, token } = await fullSync();
    expect(items.map((e) => e.id).sort()).toEqual([one.id, inst('20300107T080000Z'), inst('20300114T080000Z'), inst('20300121T080000Z'), inst('20300128T080000Z')].sort());
    expect(items.some((e) => e.id === series.id)).toBe(false);

    expect((await incremental(token)).items).toEqual([]);

    // One occurrence moved: only it.
    await f.user.events.patch({ calendarId: 'primary', eventId: inst('20300114T080000Z'), requestBody: { start: { dateTime: '2030-01-14T11:00:00+01:00' }, end: { dateTime: '2030-01-14T12:00:00+01:00' } } });
    ({ items, token } = await incremental(token));
    expect(items.map(summary)).toEqual([`${inst('20300114T080000Z')} confirmed 2030-01-14T11:00:00+01:00 Weekly sync`]);

    // One occurrence cancelled: it, as a cancelled instance.
    await f.user.events.delete({ calendarId: 'primary', eventId: inst('20300121T080000Z') });
    ({ items, token } = await incremental(token));
    expect(items).toEqual([
      {
        kind: 'calendar#event',
        etag: expect.any(String),
        id: inst('20300121T080000Z'),
        status: 'cancelled',
        recurringEventId: series.id,
        originalStartTime: { dateTime: '2030-01-21T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      },
    ]);

    // The series renamed: every live instance again (the cancelled one stays cancelled, unchanged).
    await f.user.events.patch({ calendarId: 'primary', eventId: series.id!, requestBody: { summary: 'Renamed' } });
    ({ items, token } = await incremental(token));
    expect(items.map(summary).sort()).toEqual(
      [
        `${inst('20300107T080000Z')} confirmed 2030-01-07T09:00:00+01:00 Renamed`,
        `${inst('20300114T080000Z')} confirmed 2030-01-14T11:00:00+01:00 Renamed`,
        `${inst('20300128T080000Z')} confirmed 2030-01-28T09:00:00+01:00 Renamed`,
      ].sort(),
    );

    // The series deleted: its instances cancelled, never the series itself.
    await f.user.events.delete({ calendarId: 'primary', eventId: series.id! });
    ({ items, token } = await incremental(token));
    expect(items.map((e) => `${e.id} ${e.status}`).sort()).toEqual([inst('20300107T080000Z'), inst('20300114T080000Z'), inst('20300128T080000Z')].map((i) => `${i} cancelled`).sort());
    expect((await incremental(token)).items).toEqual([]);
  });

  it('a single event that becomes a series, and a series that becomes a single event again', async () => {
    const ev = await insert({ summary: 'Once', start: { dateTime: '2030-01-08T09:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-01-08T10:00:00+01:00', timeZone: 'Europe/Berlin' } });
    let { items, token } = await fullSync();
    expect(items.map((e) => e.id)).toEqual([ev.id]);
    await f.user.events.patch({ calendarId: 'primary', eventId: ev.id!, requestBody: { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'] } });
    ({ items, token } = await incremental(token));
    // The single event the client holds is gone; the occurrences take its place.
    expect(items.map((e) => `${e.id} ${e.status}`)).toEqual([`${ev.id} cancelled`, `${ev.id}_20300108T080000Z confirmed`, `${ev.id}_20300115T080000Z confirmed`]);
    await f.user.events.patch({ calendarId: 'primary', eventId: ev.id!, requestBody: { recurrence: [] } });
    ({ items } = await incremental(token));
    expect(items.map((e) => `${e.id} ${e.status}`)).toEqual([`${ev.id} confirmed`, `${ev.id}_20300108T080000Z cancelled`, `${ev.id}_20300115T080000Z cancelled`]);
    expect((await listAll({ singleEvents: true })).items.map((e) => e.id)).toEqual([ev.id]);
  });

  it('"this and following" through the API (patch UNTIL, insert a new series): later instances cancelled, the new series\' instances new', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=4'));
    const { token } = await fullSync();
    // Google's guide: trim the original series with an UNTIL, then create the new one from the split point.
    await f.user.events.patch({ calendarId: 'primary', eventId: series.id!, requestBody: { recurrence: ['RRULE:FREQ=WEEKLY;UNTIL=20300120T225959Z'] } });
    const next = await insert(weekly({ summary: 'Weekly sync (new time)', start: { dateTime: '2030-01-21T15:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-01-21T16:00:00+01:00', timeZone: 'Europe/Berlin' } }, 'RRULE:FREQ=WEEKLY;COUNT=2'));
    const { items } = await incremental(token);
    expect(items.map((e) => `${e.id} ${e.status} ${e.recurringEventId}`).sort()).toEqual(
      [
        `${series.id}_20300107T080000Z confirmed ${series.id}`,
        `${series.id}_20300114T080000Z confirmed ${series.id}`,
        `${series.id}_20300121T080000Z cancelled ${series.id}`,
        `${series.id}_20300128T080000Z cancelled ${series.id}`,
        `${next.id}_20300121T140000Z confirmed ${next.id}`,
        `${next.id}_20300128T140000Z confirmed ${next.id}`,
      ].sort(),
    );
    const now = (await listAll({ singleEvents: true, orderBy: 'startTime' })).items;
    expect(now.map((e) => `${e.start!.dateTime} ${e.summary}`)).toEqual([
      '2030-01-07T09:00:00+01:00 Weekly sync',
      '2030-01-14T09:00:00+01:00 Weekly sync',
      '2030-01-21T15:00:00+01:00 Weekly sync (new time)',
      '2030-01-28T15:00:00+01:00 Weekly sync (new time)',
    ]);
  });

  it('refuses a sync token from a listing with another singleEvents (400), paging keeps its semantics', async () => {
    await insert(weekly({}, 'RRULE:FREQ=DAILY;COUNT=20'));
    const { pages } = await listAll({ singleEvents: true, maxResults: 6 });
    expect(pages.map((p) => [p.items!.length, Boolean(p.nextPageToken), Boolean(p.nextSyncToken)])).toEqual([
      [6, true, false],
      [6, true, false],
      [6, true, false],
      [2, false, true],
    ]);
    const token = pages.at(-1)!.nextSyncToken!;
    expect(await failure(f.user.events.list({ calendarId: 'primary', syncToken: token }))).toMatchObject({ status: 400, reason: 'invalid' });
    expect((await f.user.events.list({ calendarId: 'primary', singleEvents: true, syncToken: token })).data.items).toEqual([]);
  });

  it('an endless series is expanded to a horizon from "now"; later listings reach further, incremental syncs do not', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=DAILY'));
    const { items, token } = await fullSync(100);
    const lastStart = (list: Event[]): number => Math.max(...list.map((e) => Date.parse(e.start!.dateTime!)));
    expect(items).toHaveLength(730);
    expect(lastStart(items)).toBeLessThanOrEqual(NOW + 730 * DAY);
    expect(lastStart(items)).toBeGreaterThan(NOW + 729 * DAY);

    f.emu.control.advanceClock(365 * DAY);
    // Occurrences that came into the horizon are not changes: an incremental sync stays empty.
    expect((await incremental(token)).items).toEqual([]);
    const later = await listAll({ singleEvents: true, maxResults: 2500 });
    expect(later.items).toHaveLength(730 + 365);
    expect(lastStart(later.items)).toBeGreaterThan(NOW + (365 + 729) * DAY);
    // events.instances reaches as far.
    const inst = await f.user.events.instances({ calendarId: 'primary', eventId: series.id!, maxResults: 2500 });
    expect(inst.data.items).toHaveLength(730 + 365);
  });
});

describe('orderBy=startTime', () => {
  it('sorts one-off events and every series\' occurrences by start, across pages; needs singleEvents', async () => {
    await insert(weekly({ summary: 'A' }, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    await insert(weekly({ summary: 'B', start: { dateTime: '2030-01-08T08:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-01-08T09:00:00+01:00', timeZone: 'Europe/Berlin' } }, 'RRULE:FREQ=WEEKLY;COUNT=3'));
    await insert({ summary: 'C', start: { dateTime: '2030-01-14T07:00:00Z' }, end: { dateTime: '2030-01-14T07:30:00Z' } });
    const { items } = await listAll({ singleEvents: true, orderBy: 'startTime', maxResults: 2 });
    expect(items.map((e) => `${e.start!.dateTime} ${e.summary}`)).toEqual([
      '2030-01-07T09:00:00+01:00 A',
      '2030-01-08T08:00:00+01:00 B',
      '2030-01-14T07:00:00Z C',
      '2030-01-14T09:00:00+01:00 A',
      '2030-01-15T08:00:00+01:00 B',
      '2030-01-21T09:00:00+01:00 A',
      '2030-01-22T08:00:00+01:00 B',
    ]);
    const refused = await failure(f.user.events.list({ calendarId: 'primary', orderBy: 'startTime' }));
    expect(refused).toMatchObject({ status: 400, reason: 'invalid' });
  });

  it('timeMin filters on end, timeMax on start, per instance', async () => {
    await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=4'));
    // The 07 Jan instance ends 10:00+01 = 09:00Z exactly: excluded; the 28 Jan one starts at timeMax: excluded.
    const { items } = await listAll({ singleEvents: true, orderBy: 'startTime', timeMin: '2030-01-07T09:00:00Z', timeMax: '2030-01-28T08:00:00Z' });
    expect(items.map((e) => e.start!.dateTime)).toEqual(['2030-01-14T09:00:00+01:00', '2030-01-21T09:00:00+01:00']);
    // Without singleEvents the series is listed when any occurrence falls in the window.
    expect((await listAll({ timeMin: '2030-01-20T00:00:00Z', timeMax: '2030-01-22T00:00:00Z' })).items).toHaveLength(1);
    expect((await listAll({ timeMin: '2030-02-01T00:00:00Z' })).items).toHaveLength(0);
  });
});

describe('events.instances', () => {
  it('lists a series\' occurrences with timeMin/timeMax, originalStart, showDeleted and paging', async () => {
    const series = await insert(weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=6'));
    await f.user.events.delete({ calendarId: 'primary', eventId: `${series.id}_20300121T080000Z` });
    await f.user.events.patch({ calendarId: 'primary', eventId: `${series.id}_20300128T080000Z`, requestBody: { summary: 'Moved' } });
    const all = async (params: Omit<calendar_v3.Params$Resource$Events$Instances, 'calendarId' | 'eventId'>): Promise<string[]> => {
      const out: string[] = [];
      let pageToken: string | undefined;
      do {
        const { data } = await f.user.events.instances({ calendarId: 'primary', eventId: series.id!, ...params, ...(pageToken ? { pageToken } : {}) });
        out.push(...(data.items ?? []).map((e) => `${e.id!.split('_')[1]} ${e.status} ${e.summary ?? '-'}`));
        expect(data.nextSyncToken).toBeUndefined();
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      return out;
    };
    expect(await all({ maxResults: 2 })).toEqual([
      '20300107T080000Z confirmed Weekly sync',
      '20300114T080000Z confirmed Weekly sync',
      '20300128T080000Z confirmed Moved',
      '20300204T080000Z confirmed Weekly sync',
      '20300211T080000Z confirmed Weekly sync',
    ]);
    expect(await all({ showDeleted: true })).toContain('20300121T080000Z cancelled -');
    // timeMin is inclusive on the end here (Google's reference for events.instances).
    expect(await all({ timeMin: '2030-01-14T09:00:00Z', timeMax: '2030-02-04T08:00:00Z' })).toEqual(['20300114T080000Z confirmed Weekly sync', '20300128T080000Z confirmed Moved']);
    expect(await all({ originalStart: '2030-01-28T09:00:00+01:00' })).toEqual(['20300128T080000Z confirmed Moved']);
    expect(await failure(f.user.events.instances({ calendarId: 'primary', eventId: 'nosuchevent1' }))).toMatchObject({ status: 404 });
    expect(f.emu.control.stats()['events.instances']).toBeGreaterThan(0);
  });
});

describe('errors Google answers', () => {
  it('a timed series needs start.timeZone; a malformed rule is 400 "Invalid recurrence rule."', async () => {
    const noZone = await failure(f.user.events.insert({ calendarId: 'primary', requestBody: { ...weekly(), start: { dateTime: '2030-01-07T09:00:00+01:00' } } }));
    expect(noZone).toMatchObject({ status: 400, reason: 'required' });
    expect(noZone.body).toEqual({
      error: { errors: [{ domain: 'global', reason: 'required', message: 'Missing time zone definition for start time.' }], code: 400, message: 'Missing time zone definition for start time.' },
    });
    for (const rule of ['RRULE:FREQ=WEEKLI', 'RRULE:FREQ=WEEKLY;COUNT=-1', 'RRULE:FREQ=YEARLY;UNTIL=20230617;COUNT=1', 'DTSTART:20300107T080000Z', 'RRULE:INTERVAL=2', 'RRULE:FREQ=WEEKLY;BYDAY=XX', 'EXDATE:tomorrow']) {
      const bad = await failure(f.user.events.insert({ calendarId: 'primary', requestBody: weekly({}, rule) }));
      expect(bad, rule).toMatchObject({ status: 400, reason: 'invalid' });
      expect(bad.body).toEqual({ error: { errors: [{ domain: 'global', reason: 'invalid', message: 'Invalid recurrence rule.' }], code: 400, message: 'Invalid recurrence rule.' } });
    }
    expect(f.emu.control.listEvents(USER)).toEqual([]);
  });
});

describe('control API: a person in Google Calendar', () => {
  let hook: Receiver;
  beforeEach(async () => {
    hook = await startReceiver();
  });
  afterEach(async () => {
    await hook.close();
  });

  it('edits and cancels occurrences, splits a series; each change notifies and syncs', async () => {
    const series = f.emu.control.createEvent(USER, weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=6') as never);
    await f.user.events.watch({ calendarId: 'primary', requestBody: { id: 'recurring-chan', type: 'web_hook', address: hook.url } });
    await hook.waitFor(1);
    const { token } = await fullSync();

    const edited = f.emu.control.editInstance(USER, series.id, '2030-01-14T09:00:00+01:00', { summary: 'Only this one' });
    expect(edited).toMatchObject({ id: `${series.id}_20300114T080000Z`, summary: 'Only this one', recurringEventId: series.id });
    f.emu.control.cancelInstance(USER, series.id, '2030-01-21T08:00:00Z');
    await hook.waitFor(3);
    expect(hook.received.slice(1).map((r) => r.headers['x-goog-resource-state'])).toEqual(['exists', 'exists']);

    const { series: ended, following } = f.emu.control.splitSeries(USER, series.id, '2030-02-04T09:00:00+01:00', { summary: 'From February' });
    expect(ended.recurrence).toEqual(['RRULE:FREQ=WEEKLY;UNTIL=20300204T075959Z']);
    expect(following).toMatchObject({ id: `${series.id}_R20300204T080000`, summary: 'From February', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'] });
    expect(following.recurringEventId).toBeUndefined();

    const { items } = await incremental(token);
    const got = byId(items);
    expect(got.get(`${series.id}_20300114T080000Z`)?.summary).toBe('Only this one');
    expect(got.get(`${series.id}_20300121T080000Z`)?.status).toBe('cancelled');
    expect(got.get(`${series.id}_20300204T080000Z`)?.status).toBe('cancelled');
    expect(got.get(`${series.id}_20300211T080000Z`)?.status).toBe('cancelled');
    expect(got.get(`${following.id}_20300204T080000Z`)).toMatchObject({ status: 'confirmed', summary: 'From February', recurringEventId: following.id });
    expect((await listAll({ singleEvents: true, orderBy: 'startTime' })).items.map((e) => `${e.start!.dateTime} ${e.summary}`)).toEqual([
      '2030-01-07T09:00:00+01:00 Weekly sync',
      '2030-01-14T09:00:00+01:00 Only this one',
      '2030-01-28T09:00:00+01:00 Weekly sync',
      '2030-02-04T09:00:00+01:00 From February',
      '2030-02-11T09:00:00+01:00 From February',
    ]);
  });

  it('the same over HTTP', async () => {
    const post = async (path: string, body: unknown, method = 'POST'): Promise<Response> =>
      fetch(`${f.emu.url}/__emulator${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const series = (await (await post(`/calendars/${USER}/events`, weekly({}, 'RRULE:FREQ=WEEKLY;COUNT=3'))).json()) as Event;
    const edited = (await (await post(`/calendars/${USER}/events/${series.id}/instances/2030-01-14T08:00:00Z`, { summary: 'x' }, 'PATCH')).json()) as Event;
    expect(edited.id).toBe(`${series.id}_20300114T080000Z`);
    expect((await post(`/calendars/${USER}/events/${series.id}/instances/2030-01-21T08:00:00Z`, {}, 'DELETE')).status).toBe(204);
    const split = (await (await post(`/calendars/${USER}/events/${series.id}/split`, { fromOriginalStart: '2030-01-14T08:00:00Z', patch: {} })).json()) as { following: Event };
    expect(split.following.id).toBe(`${series.id}_R20300114T080000`);
    expect((await post('/clock/advance', { ms: DAY })).status).toBe(204);
  });
});

describe('scale', () => {
  // Speed is reported in the README (measured, not asserted: shared, noisy machines).
  it('200 weekly series over two years: a singleEvents full sync gets every one of ~21,000 instances exactly once', async () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC'];
    const events = Array.from({ length: 200 }, (_, i) => {
      const start = NOW + (i % 5) * DAY + (8 + (i % 9)) * 3600_000;
      const timeZone = zones[i % 4]!;
      return {
        summary: `Series ${i}`,
        start: { dateTime: new Date(start).toISOString(), timeZone },
        end: { dateTime: new Date(start + 1800_000).toISOString(), timeZone },
        recurrence: ['RRULE:FREQ=WEEKLY'],
      };
    });
    f.emu.control.seedEvents(USER, events);
    f.emu.control.resetStats();
    const { items, pages } = await listAll({ singleEvents: true, maxResults: 2500 });
    expect(items).toHaveLength(20_880);
    expect(new Set(items.map((e) => e.id)).size).toBe(20_880);
    expect(pages).toHaveLength(9);
    expect(f.emu.control.stats()['events.list']).toBe(9);
  }, 60_000);
});
