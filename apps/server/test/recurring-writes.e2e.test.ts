import { beforeEach, describe, expect, it } from 'vitest';
import { failure } from './support/failure.ts';
import { at, useSystem } from './support/system.ts';

// Recurring meetings made and edited through our API (tRPC and REST): real PostgreSQL, the
// emulator over HTTP, the server as `pnpm start` builds it. After each write, our rows equal the
// occurrences Google's own client library lists (singleEvents), one by one.
const sys = useSystem();
beforeEach(async () => {
  await sys.sql.query('delete from calendar_events');
  await sys.sql.query('delete from calendar_series');
  sys.emulator.control.reset();
});

// Mondays 09:00 in Berlin from 1 March 2027, twelve times: daylight saving starts on 28 March.
// (Within Google's expansion horizon of about two years from now, and staying so: past dates expand.)
const WEEKLY = ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12'];
const pipelineReview = {
  summary: 'Pipeline review',
  startTime: at('2027-03-01T08:00:00Z'),
  endTime: at('2027-03-01T08:30:00Z'),
  timeZone: 'Europe/Berlin',
  recurrence: WEEKLY,
  createMeetLink: false,
};
const twelveWeeks = { timeMin: at('2027-02-28T00:00:00Z'), timeMax: at('2027-05-30T00:00:00Z'), limit: 500 };

async function week() {
  return (await sys.client.calendar.listEvents.query(twelveWeeks)).items;
}
const berlinTime = (d: Date) => d.toLocaleTimeString('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' });

describe('creating a recurring meeting', () => {
  it('stores every occurrence at once, at 09:00 Berlin time across the daylight-saving switch, and answers the first', async () => {
    const first = await sys.client.calendar.createEvent.mutate(pipelineReview);

    expect(first.startTime.toISOString()).toBe('2027-03-01T08:00:00.000Z');
    expect(first.recurringEventId).toMatch(/\S/);
    expect(first.originalStartTime?.toISOString()).toBe('2027-03-01T08:00:00.000Z');
    expect(first.recurrence).toEqual(WEEKLY);

    const items = await week();
    expect(items).toHaveLength(12);
    expect(new Set(items.map((e) => e.recurringEventId))).toEqual(new Set([first.recurringEventId]));
    expect(items.map((e) => berlinTime(e.startTime))).toEqual(Array(12).fill('09:00'));
    // Before the switch 08:00 UTC, after it 07:00 UTC.
    expect(items.map((e) => e.startTime.getUTCHours())).toEqual([8, 8, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7]);
    await sys.expectOccurrencesInSync();
  });

  it('makes one series for a retried create with the same idempotency key', async () => {
    const a = await sys.client.calendar.createEvent.mutate({ ...pipelineReview, idempotencyKey: 'weekly-1' });
    const b = await sys.client.calendar.createEvent.mutate({ ...pipelineReview, idempotencyKey: 'weekly-1' });
    expect(b.id).toBe(a.id);
    expect(await week()).toHaveLength(12);
    expect(sys.emulator.control.listEvents(sys.calendarId).filter((e) => e.recurrence)).toHaveLength(1);
  });

  it('refuses a rule Google would not take, naming the line, before Google sees it', async () => {
    const bad = await failure(sys.client.calendar.createEvent.mutate({ ...pipelineReview, recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=XX'] }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', fields: ['recurrence.0'] });
    expect(bad.message).toContain('BYDAY');

    const noZone = await failure(sys.client.calendar.createEvent.mutate({ ...pipelineReview, timeZone: undefined }));
    expect(noZone).toMatchObject({ code: 'BAD_REQUEST', fields: ['timeZone'] });

    const dtstart = await failure(sys.client.calendar.createEvent.mutate({ ...pipelineReview, recurrence: ['DTSTART:20270301T080000Z', ...WEEKLY] }));
    expect(dtstart.fields).toEqual(['recurrence.0']);

    expect(sys.emulator.control.stats()['events.insert'] ?? 0).toBe(0);
    expect(await sys.rowCount()).toBe(0);
  });
});

describe('editing one occurrence, the following ones, or all', () => {
  it('scope instance (the default) changes that occurrence only', async () => {
    await sys.client.calendar.createEvent.mutate(pipelineReview);
    const third = (await week())[2]!;
    const renamed = await sys.client.calendar.updateEvent.mutate({ id: third.id, summary: 'Pipeline review (QBR week)' });
    expect(renamed.id).toBe(third.id);
    expect(renamed.recurringEventId).toBe(third.recurringEventId);
    expect(renamed.recurrence).toEqual(WEEKLY);

    const moved = await sys.client.calendar.updateEvent.mutate({ id: (await week())[5]!.id, startTime: at('2027-04-06T12:00:00Z'), endTime: at('2027-04-06T12:30:00Z') });
    expect(moved.originalStartTime?.toISOString()).toBe('2027-04-05T07:00:00.000Z');

    const items = await week();
    expect(items).toHaveLength(12);
    expect(items.filter((e) => e.summary !== 'Pipeline review').map((e) => e.id)).toEqual([third.id]);
    expect(items.filter((e) => e.startTime.toISOString() === '2027-04-06T12:00:00.000Z').map((e) => e.id)).toEqual([moved.id]);
    await sys.expectOccurrencesInSync();
  });

  it('scope series renames every occurrence and moves them all with a new time', async () => {
    await sys.client.calendar.createEvent.mutate(pipelineReview);
    const fourth = (await week())[3]!;
    await sys.client.calendar.updateEvent.mutate({ id: fourth.id, scope: 'series', summary: 'Weekly pipeline' });
    expect((await week()).map((e) => e.summary)).toEqual(Array(12).fill('Weekly pipeline'));
    await sys.expectOccurrencesInSync();

    // One hour later, every week (09:00 -> 10:00 Berlin): the answer is the occurrence the fourth became.
    const later = await sys.client.calendar.updateEvent.mutate({ id: fourth.id, scope: 'series', startTime: at('2027-03-22T09:00:00Z'), endTime: at('2027-03-22T09:30:00Z') });
    expect(later.startTime.toISOString()).toBe('2027-03-22T09:00:00.000Z');
    const items = await week();
    expect(items).toHaveLength(12);
    expect(items.map((e) => berlinTime(e.startTime))).toEqual(Array(12).fill('10:00'));
    await sys.expectOccurrencesInSync();
  });

  it('scope following splits the series there: no duplicate and no ghost on either side', async () => {
    const first = await sys.client.calendar.createEvent.mutate(pipelineReview);
    const fifth = (await week())[4]!;
    const split = await sys.client.calendar.updateEvent.mutate({ id: fifth.id, scope: 'following', summary: 'Pipeline review (new format)' });

    expect(split.startTime.toISOString()).toBe(fifth.startTime.toISOString());
    expect(split.recurringEventId).not.toBe(first.recurringEventId);
    // COUNT=12 with 4 before the split: the new series has the 8 left.
    expect(split.recurrence).toEqual(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8']);
    const before = await sys.client.calendar.getEvent.query({ id: first.id });
    expect(before.recurrence?.[0]).toMatch(/^RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270329T065959Z$/);

    const items = await week();
    expect(items.map((e) => e.summary)).toEqual([...Array(4).fill('Pipeline review'), ...Array(8).fill('Pipeline review (new format)')]);
    expect(items.map((e) => e.startTime.toISOString())).toEqual((await sys.googleOccurrences()).map((e) => e.start).sort());
    await sys.expectOccurrencesInSync();
  });
});

describe('cancelling one occurrence, the following ones, or all', () => {
  it('instance, then following, then series', async () => {
    await sys.client.calendar.createEvent.mutate(pipelineReview);
    const items = await week();

    const one = await sys.client.calendar.cancelEvent.mutate({ id: items[1]!.id });
    expect(one.status).toBe('cancelled');
    expect((await week()).map((e) => e.id)).toEqual(items.filter((_, i) => i !== 1).map((e) => e.id));
    await sys.expectOccurrencesInSync();

    await sys.client.calendar.cancelEvent.mutate({ id: items[8]!.id, scope: 'following' });
    expect((await week()).map((e) => e.id)).toEqual(items.filter((_, i) => i !== 1 && i < 8).map((e) => e.id));
    await sys.expectOccurrencesInSync();

    await sys.client.calendar.cancelEvent.mutate({ id: items[4]!.id, scope: 'series' });
    expect(await week()).toEqual([]);
    await sys.expectOccurrencesInSync();
    expect(sys.emulator.control.listEvents(sys.calendarId).filter((e) => e.status !== 'cancelled')).toEqual([]);
  });

  it('a one-off meeting takes no other scope than instance for a new rule', async () => {
    const once = await sys.client.calendar.createEvent.mutate({ ...pipelineReview, recurrence: undefined });
    expect(once.recurrence).toBeNull();
    const bad = await failure(sys.client.calendar.updateEvent.mutate({ id: once.id, scope: 'series', recurrence: WEEKLY }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', fields: ['recurrence'] });
    const instanceRule = await failure(sys.client.calendar.updateEvent.mutate({ id: once.id, recurrence: WEEKLY }));
    expect(instanceRule).toMatchObject({ code: 'BAD_REQUEST', fields: ['recurrence'] });
  });
});

describe('REST: the scope query parameter', () => {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sys.app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sys.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('creates with recurrence, patches ?scope=series, deletes ?scope=following, refuses a bad scope', async () => {
    const created = await call('POST', '/calendar/events', {
      summary: 'Client check-in',
      start_time: '2027-03-02T15:00:00Z',
      end_time: '2027-03-02T15:30:00Z',
      time_zone: 'America/New_York',
      recurrence: ['RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=6'],
      create_meet_link: false,
    });
    expect(created.status).toBe(201);
    expect(created.body.recurrence).toEqual(['RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=6']);
    const id = String(created.body.id);

    const renamed = await call('PATCH', `/calendar/events/${id}?scope=series`, { summary: 'Bi-weekly check-in' });
    expect(renamed.status).toBe(200);
    expect((await week()).map((e) => e.summary)).toEqual(Array(6).fill('Bi-weekly check-in'));

    const third = (await week())[2]!;
    const cut = await call('DELETE', `/calendar/events/${third.id}?scope=following`);
    expect(cut.status).toBe(200);
    expect(cut.body.status).toBe('cancelled');
    expect(await week()).toHaveLength(2);
    await sys.expectOccurrencesInSync();

    const bad = await call('PATCH', `/calendar/events/${id}?scope=everything`, { summary: 'x' });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { fields: Array<{ field: string }> }).fields.map((f) => f.field)).toEqual(['scope']);
  });
});
