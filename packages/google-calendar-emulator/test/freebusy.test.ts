/** freebusy.query through Google's own client library: busy rules, calendars, errors, quota and stats. */
import { describe, expect, it } from 'vitest';
import { failure, googleCalendar } from './google-client.ts';
import { USER, at, useEmulator } from './fixture.ts';

const f = useEmulator();
const COLLEAGUE = 'bob@example.com';

const busyOf = (data: { calendars?: Record<string, { busy?: { start?: string | null; end?: string | null }[] }> | null }, id: string) =>
  data.calendars?.[id]?.busy?.map((b) => [b.start, b.end]);

describe('freebusy.query', () => {
  it('busy = live, opaque, not declined by the owner; merged, clipped to the window; occurrences expanded; all-day in UTC', async () => {
    const c = f.emu.control;
    const ev = (summary: string, start: string, end: string, extra: Record<string, unknown> = {}) => c.createEvent(USER, { summary, start: at(start), end: at(end), ...extra });
    ev('straddles timeMin', '2030-03-03T23:00:00Z', '2030-03-04T08:30:00Z');
    ev('busy', '2030-03-04T10:00:00Z', '2030-03-04T11:00:00Z');
    ev('overlaps it', '2030-03-04T10:30:00Z', '2030-03-04T11:30:00Z');
    ev('touches it', '2030-03-04T11:30:00Z', '2030-03-04T12:00:00Z');
    ev('shown as free', '2030-03-04T13:00:00Z', '2030-03-04T14:00:00Z', { transparency: 'transparent' });
    ev('declined by the owner', '2030-03-04T14:00:00Z', '2030-03-04T15:00:00Z', { attendees: [{ email: USER, responseStatus: 'declined' }, { email: 'x@other.test' }] });
    ev('declined by a guest only', '2030-03-04T15:00:00Z', '2030-03-04T15:30:00Z', { attendees: [{ email: USER, responseStatus: 'accepted' }, { email: 'x@other.test', responseStatus: 'declined' }] });
    ev('tentative', '2030-03-04T16:00:00Z', '2030-03-04T16:30:00Z', { status: 'tentative' });
    const gone = ev('deleted', '2030-03-04T17:00:00Z', '2030-03-04T18:00:00Z');
    c.deleteEvent(USER, gone.id);
    c.createEvent(USER, { summary: 'offsite', start: { date: '2030-03-05' }, end: { date: '2030-03-06' } });
    // Daily 08:00 Berlin (07:00Z in winter) from Wednesday; Thursday's moved to 09:00Z, Friday's cancelled.
    const series = c.createEvent(USER, {
      summary: 'standup',
      start: { dateTime: '2030-03-06T08:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-06T08:15:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=DAILY;COUNT=5'],
    });
    c.editInstance(USER, series.id, '2030-03-07T07:00:00Z', { start: at('2030-03-07T09:00:00Z'), end: at('2030-03-07T09:30:00Z') });
    c.cancelInstance(USER, series.id, '2030-03-08T07:00:00Z');
    ev('runs past timeMax', '2030-03-09T23:00:00Z', '2030-03-10T02:00:00Z');
    ev('after the window', '2030-03-10T09:00:00Z', '2030-03-10T10:00:00Z');

    const { data, status } = await f.user.freebusy.query({
      requestBody: { timeMin: '2030-03-04T00:00:00Z', timeMax: '2030-03-10T00:00:00Z', items: [{ id: 'primary' }] },
    });
    expect(status).toBe(200);
    expect(data).toMatchObject({ kind: 'calendar#freeBusy', timeMin: '2030-03-04T00:00:00.000Z', timeMax: '2030-03-10T00:00:00.000Z' });
    expect(data.calendars?.primary?.errors).toBeUndefined();
    expect(busyOf(data, 'primary')).toEqual([
      ['2030-03-04T00:00:00Z', '2030-03-04T08:30:00Z'],
      ['2030-03-04T10:00:00Z', '2030-03-04T12:00:00Z'],
      ['2030-03-04T15:00:00Z', '2030-03-04T15:30:00Z'],
      ['2030-03-04T16:00:00Z', '2030-03-04T16:30:00Z'],
      ['2030-03-05T00:00:00Z', '2030-03-06T00:00:00Z'],
      ['2030-03-06T07:00:00Z', '2030-03-06T07:15:00Z'],
      ['2030-03-07T09:00:00Z', '2030-03-07T09:30:00Z'],
      ['2030-03-09T07:00:00Z', '2030-03-09T07:15:00Z'],
      ['2030-03-09T23:00:00Z', '2030-03-10T00:00:00Z'],
    ]);

    // timeZone writes the same periods in that zone.
    const berlin = await f.user.freebusy.query({
      requestBody: { timeMin: '2030-03-06T00:00:00Z', timeMax: '2030-03-07T00:00:00Z', timeZone: 'Europe/Berlin', items: [{ id: USER }] },
    });
    expect(busyOf(berlin.data, USER)).toEqual([['2030-03-06T08:00:00+01:00', '2030-03-06T08:15:00+01:00']]);
  });

  it('answers per calendar as asked: own and shared calendars, notFound for the others; counted like every call', async () => {
    f.emu.control.createEvent(COLLEAGUE, { summary: 'b', start: at('2030-03-04T10:00:00Z'), end: at('2030-03-04T11:00:00Z') });
    const body = { timeMin: '2030-03-04T00:00:00Z', timeMax: '2030-03-05T00:00:00Z', items: [{ id: 'primary' }, { id: COLLEAGUE }, { id: 'nobody@example.com' }] };
    const before = await f.user.freebusy.query({ requestBody: body });
    expect(before.data.calendars).toEqual({
      primary: { busy: [] },
      [COLLEAGUE]: { busy: [], errors: [{ domain: 'global', reason: 'notFound' }] },
      'nobody@example.com': { busy: [], errors: [{ domain: 'global', reason: 'notFound' }] },
    });
    f.emu.control.shareCalendar(COLLEAGUE, USER);
    const after = await f.user.freebusy.query({ requestBody: body });
    expect(busyOf(after.data, COLLEAGUE)).toEqual([['2030-03-04T10:00:00Z', '2030-03-04T11:00:00Z']]);
    // The bare service account's primary is its own calendar; USER's is not shared with it.
    const bare = await f.bare.freebusy.query({ requestBody: { ...body, items: [{ id: 'primary' }, { id: USER }] } });
    expect(bare.data.calendars?.[USER]?.errors).toEqual([{ domain: 'global', reason: 'notFound' }]);

    expect(f.emu.control.stats()['freebusy.query']).toBe(3);
    expect(f.emu.control.quotaStats().projects['calsync-test']?.users[USER]?.served).toBe(2);
  });

  it('refuses what Google refuses', async () => {
    expect(await failure(f.user.freebusy.query({ requestBody: { timeMax: '2030-03-05T00:00:00Z', items: [{ id: 'primary' }] } }))).toMatchObject({ status: 400, reason: 'required' });
    expect(await failure(f.user.freebusy.query({ requestBody: { timeMin: '2030-03-05', timeMax: '2030-03-06T00:00:00Z', items: [] } }))).toMatchObject({ status: 400, reason: 'invalid' });
    expect(
      await failure(f.user.freebusy.query({ requestBody: { timeMin: '2030-03-05T00:00:00Z', timeMax: '2030-03-05T00:00:00Z', items: [{ id: 'primary' }] } })),
    ).toMatchObject({ status: 400, reason: 'timeRangeEmpty' });
    expect(
      await failure(f.user.freebusy.query({ requestBody: { timeMin: '2030-03-05T00:00:00Z', timeMax: '2030-03-06T00:00:00Z', timeZone: 'Mars/Olympus', items: [{ id: 'primary' }] } })),
    ).toMatchObject({ status: 400, reason: 'invalid' });
    // Without the calendar scope's token there is no answer at all.
    const noScope = googleCalendar(f.emu.url, f.delegatedKey, { subject: USER, scopes: ['https://www.googleapis.com/auth/drive'] });
    expect(await failure(noScope.freebusy.query({ requestBody: { timeMin: '2030-03-05T00:00:00Z', timeMax: '2030-03-06T00:00:00Z', items: [{ id: 'primary' }] } }))).toMatchObject({
      status: 403,
      reason: 'insufficientPermissions',
    });
  });

  it('asks about at most calendarExpansionMax calendars (50 at most)', async () => {
    const items = Array.from({ length: 3 }, (_, i) => ({ id: `cal${i}@example.com` }));
    const { data } = await f.user.freebusy.query({ requestBody: { timeMin: '2030-03-05T00:00:00Z', timeMax: '2030-03-06T00:00:00Z', calendarExpansionMax: 2, items } });
    expect(data.calendars?.['cal2@example.com']?.errors).toEqual([{ domain: 'global', reason: 'tooManyCalendarsRequested' }]);
    expect(await failure(f.user.freebusy.query({ requestBody: { timeMin: '2030-03-05T00:00:00Z', timeMax: '2030-03-06T00:00:00Z', calendarExpansionMax: 51, items } }))).toMatchObject({
      status: 400,
      reason: 'invalid',
    });
  });
});
