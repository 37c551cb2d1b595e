import { beforeEach, describe, expect, it } from 'vitest';
import { failure } from './support/failure.ts';
import { at, useSystem } from './support/system.ts';

const sys = useSystem();
beforeEach(async () => {
  await sys.sql.query('delete from calendar_events');
  sys.emulator.control.reset();
});

const meeting = {
  summary: 'Discovery call with ACME',
  startTime: at('2031-03-10T14:00:00Z'),
  endTime: at('2031-03-10T14:30:00Z'),
};

describe('creating a meeting', () => {
  it('creates it in Google with a Meet link and attendees, stores it, and returns it', async () => {
    const created = await sys.client.calendar.createEvent.mutate({
      ...meeting,
      description: 'Agenda: pricing',
      location: 'Online',
      timeZone: 'Europe/Berlin',
      attendees: ['Buyer@acme.example', 'cfo@acme.example'],
    });

    expect(created.meetLink).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(created.startTime).toBeInstanceOf(Date);
    expect(created.startTime.toISOString()).toBe('2031-03-10T14:00:00.000Z');
    expect(created.timeZone).toBe('Europe/Berlin');
    expect(created.status).toBe('confirmed');
    expect(created.attendees.map((a) => [a.email, a.responseStatus])).toEqual([
      ['buyer@acme.example', 'needsAction'],
      ['cfo@acme.example', 'needsAction'],
    ]);
    expect(created.organizerEmail).toBe(sys.calendarId);
    // `primary` is stored as the calendar's real id (the delegated user's address).
    expect(created.calendarId).toBe(sys.calendarId);

    const inGoogle = sys.emulator.control.listEvents(sys.calendarId);
    expect(inGoogle).toHaveLength(1);
    expect(inGoogle[0]?.id).toBe(created.googleEventId);
    expect(inGoogle[0]?.hangoutLink).toBe(created.meetLink);
    expect(sys.emulator.control.stats()['events.insert']).toBe(1);

    const row = await sys.sql.query('select meet_link, etag, summary from calendar_events where id = $1', [created.id]);
    expect(row.rows[0]).toEqual({ meet_link: created.meetLink, etag: created.etag, summary: meeting.summary });
  });

  it('skips the Meet link when asked to', async () => {
    const created = await sys.client.calendar.createEvent.mutate({ ...meeting, createMeetLink: false });
    expect(created.meetLink).toBeNull();
  });

  it('makes exactly one event when a create is retried with the same idempotencyKey', async () => {
    const first = await sys.client.calendar.createEvent.mutate({ ...meeting, idempotencyKey: 'crm-deal-42-call' });
    const retry = await sys.client.calendar.createEvent.mutate({ ...meeting, idempotencyKey: 'crm-deal-42-call' });

    expect(retry.id).toBe(first.id);
    expect(retry.googleEventId).toBe(first.googleEventId);
    expect(retry.meetLink).toBe(first.meetLink);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(1);
    expect(await sys.rowCount()).toBe(1);
  });

  it('refuses to reuse an idempotencyKey for a different event', async () => {
    await sys.client.calendar.createEvent.mutate({ ...meeting, idempotencyKey: 'key-1' });
    const err = await failure(sys.client.calendar.createEvent.mutate({ ...meeting, summary: 'Another', idempotencyKey: 'key-1' }));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toMatch(/idempotencyKey/);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(1);
  });
});

describe('listing the calendar from our database', () => {
  it('returns events overlapping the window, edges exclusive, ordered, without calling Google', async () => {
    const mk = (summary: string, start: string, end: string) =>
      sys.client.calendar.createEvent.mutate({ summary, startTime: at(start), endTime: at(end), createMeetLink: false });
    await mk('ends at window start', '2031-03-09T23:00:00Z', '2031-03-10T00:00:00Z');
    await mk('crosses window start', '2031-03-09T23:30:00Z', '2031-03-10T00:30:00Z');
    await mk('inside', '2031-03-12T09:00:00Z', '2031-03-12T10:00:00Z');
    await mk('crosses window end', '2031-03-16T23:30:00Z', '2031-03-17T00:30:00Z');
    await mk('starts at window end', '2031-03-17T00:00:00Z', '2031-03-17T01:00:00Z');
    await mk('spans the whole window', '2031-03-01T00:00:00Z', '2031-03-31T00:00:00Z');

    const googleCallsBefore = sys.emulator.control.stats().total;
    const page = await sys.client.calendar.listEvents.query({ timeMin: at('2031-03-10T00:00:00Z'), timeMax: at('2031-03-17T00:00:00Z') });

    expect(page.items.map((e) => e.summary)).toEqual(['spans the whole window', 'crosses window start', 'inside', 'crosses window end']);
    expect(page.nextCursor).toBeNull();
    expect(sys.emulator.control.stats().total).toBe(googleCallsBefore);
  });

  it('pages with a cursor through every event exactly once, in (start, id) order', async () => {
    // Several events share a start time so the id tiebreak is exercised.
    for (let i = 0; i < 7; i++) {
      const start = at(`2031-04-0${1 + (i % 3)}T10:00:00Z`);
      await sys.client.calendar.createEvent.mutate({ summary: `e${i}`, startTime: start, endTime: new Date(start.getTime() + 3_600_000), createMeetLink: false });
    }
    const seen: Array<{ id: string; start: number }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof sys.client.calendar.listEvents.query>> = await sys.client.calendar.listEvents.query({
        timeMin: at('2031-04-01T00:00:00Z'),
        timeMax: at('2031-04-08T00:00:00Z'),
        limit: 3,
        cursor,
      });
      seen.push(...page.items.map((e) => ({ id: e.id, start: e.startTime.getTime() })));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);

    expect(pages).toBe(3);
    expect(new Set(seen.map((s) => s.id)).size).toBe(7);
    const sorted = [...seen].sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
    expect(seen).toEqual(sorted);
  });
});

describe('reading, updating and cancelling', () => {
  it('gets an event by id and answers NOT_FOUND for an unknown one', async () => {
    const created = await sys.client.calendar.createEvent.mutate(meeting);
    expect((await sys.client.calendar.getEvent.query({ id: created.id })).summary).toBe(meeting.summary);
    const err = await failure(sys.client.calendar.getEvent.query({ id: '00000000-0000-4000-8000-000000000000' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.httpStatus).toBe(404);
  });

  it('updates the event in Google and locally, with a new etag', async () => {
    const created = await sys.client.calendar.createEvent.mutate(meeting);
    const updated = await sys.client.calendar.updateEvent.mutate({
      id: created.id,
      summary: 'Moved discovery call',
      startTime: at('2031-03-11T15:00:00Z'),
      endTime: at('2031-03-11T16:00:00Z'),
      expectedEtag: created.etag ?? undefined,
    });
    expect(updated.summary).toBe('Moved discovery call');
    expect(updated.startTime.toISOString()).toBe('2031-03-11T15:00:00.000Z');
    expect(updated.etag).not.toBe(created.etag);
    expect(updated.meetLink).toBe(created.meetLink);
    const inGoogle = sys.emulator.control.listEvents(sys.calendarId)[0];
    expect(inGoogle?.summary).toBe('Moved discovery call');
    expect(inGoogle?.etag).toBe(updated.etag);
  });

  it('rejects a stale expectedEtag with PRECONDITION_FAILED and writes nothing', async () => {
    const created = await sys.client.calendar.createEvent.mutate(meeting);
    const fresh = await sys.client.calendar.updateEvent.mutate({ id: created.id, summary: 'Second version' });

    const err = await failure(sys.client.calendar.updateEvent.mutate({ id: created.id, summary: 'Lost update', expectedEtag: created.etag ?? '' }));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.httpStatus).toBe(412);
    expect((await sys.client.calendar.getEvent.query({ id: created.id })).summary).toBe('Second version');
    expect(sys.emulator.control.listEvents(sys.calendarId)[0]?.etag).toBe(fresh.etag);
  });

  it('rejects an edit when the event changed in Google since it was loaded', async () => {
    const created = await sys.client.calendar.createEvent.mutate(meeting);
    // A person edits the event directly in Google; our copy has not synced it yet.
    sys.emulator.control.editEvent(sys.calendarId, created.googleEventId, { summary: 'Edited in Google' });

    const err = await failure(sys.client.calendar.updateEvent.mutate({ id: created.id, summary: 'Edited in CRM', expectedEtag: created.etag ?? '' }));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.message).toMatch(/changed in Google Calendar/);
    expect(sys.emulator.control.listEvents(sys.calendarId)[0]?.summary).toBe('Edited in Google');
  });

  it('checks a one-sided time change against the stored times', async () => {
    const created = await sys.client.calendar.createEvent.mutate(meeting);
    const err = await failure(sys.client.calendar.updateEvent.mutate({ id: created.id, endTime: at('2031-03-10T13:00:00Z') }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.fields).toEqual(['endTime']);
    expect(sys.emulator.control.stats()['events.patch']).toBe(0);
  });

  it('cancels in Google, keeps the row as cancelled, and hides it from the list', async () => {
    const created = await sys.client.calendar.createEvent.mutate(meeting);
    const cancelled = await sys.client.calendar.cancelEvent.mutate({ id: created.id });

    expect(cancelled.status).toBe('cancelled');
    expect(sys.emulator.control.listEvents(sys.calendarId)[0]?.status).toBe('cancelled');
    const page = await sys.client.calendar.listEvents.query({ timeMin: at('2031-03-10T00:00:00Z'), timeMax: at('2031-03-11T00:00:00Z') });
    expect(page.items).toEqual([]);
    expect((await sys.client.calendar.getEvent.query({ id: created.id })).status).toBe('cancelled');

    // Cancelling again is harmless and costs no Google call.
    const deletes = sys.emulator.control.stats()['events.delete'];
    expect((await sys.client.calendar.cancelEvent.mutate({ id: created.id })).status).toBe('cancelled');
    expect(sys.emulator.control.stats()['events.delete']).toBe(deletes);

    const err = await failure(sys.client.calendar.updateEvent.mutate({ id: created.id, summary: 'Too late' }));
    expect(err.code).toBe('CONFLICT');
  });
});

describe('authentication', () => {
  it('answers UNAUTHORIZED without a token, with a bad token and with an expired token', async () => {
    const { signToken } = await import('@calsync/api');
    const { TEST_JWT_SECRET } = await import('./support/backing-services.ts');
    const expired = await signToken(TEST_JWT_SECRET, 'user-1', { expiresIn: '-1m' });
    const forged = await signToken('another-secret-that-is-long-enough-000000', 'user-1');
    for (const token of [null, 'not-a-jwt', expired, forged]) {
      const err = await failure(sys.clientWith(() => token).calendar.listEvents.query({ timeMin: at('2031-01-01T00:00:00Z'), timeMax: at('2031-01-02T00:00:00Z') }));
      expect(err.code).toBe('UNAUTHORIZED');
      expect(err.httpStatus).toBe(401);
    }
    const err = await failure(sys.clientWith(() => null).calendar.createEvent.mutate(meeting));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(sys.emulator.control.stats().total).toBe(0);
  });
});

describe('bad input', () => {
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['end before start', () => sys.client.calendar.createEvent.mutate({ ...meeting, endTime: meeting.startTime }), 'endTime'],
    ['bad attendee email', () => sys.client.calendar.createEvent.mutate({ ...meeting, attendees: ['ok@acme.example', 'not-an-email'] }), 'attendees.1'],
    ['empty summary', () => sys.client.calendar.createEvent.mutate({ ...meeting, summary: '   ' }), 'summary'],
    ['unknown time zone', () => sys.client.calendar.createEvent.mutate({ ...meeting, timeZone: 'Mars/Olympus' }), 'timeZone'],
    // @ts-expect-error: an unknown field is a type error for typed callers, and a 400 for others
    ['unknown field', () => sys.client.calendar.createEvent.mutate({ ...meeting, colour: 'red' }), 'colour'],
    ['window over a year', () => sys.client.calendar.listEvents.query({ timeMin: at('2031-01-01T00:00:00Z'), timeMax: at('2032-01-03T00:00:00Z') }), 'timeMax'],
    ['page too large', () => sys.client.calendar.listEvents.query({ timeMin: at('2031-01-01T00:00:00Z'), timeMax: at('2031-01-02T00:00:00Z'), limit: 2501 }), 'limit'],
    ['forged cursor', () => sys.client.calendar.listEvents.query({ timeMin: at('2031-01-01T00:00:00Z'), timeMax: at('2031-01-02T00:00:00Z'), cursor: 'bm9wZQ' }), 'cursor'],
    ['id that is not ours', () => sys.client.calendar.getEvent.query({ id: 'abc' }), 'id'],
  ];

  it.each(cases)('%s -> BAD_REQUEST naming the field, nothing written, no Google call', async (_name, call, field) => {
    const err = await failure(call());
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.httpStatus).toBe(400);
    expect(err.fields).toContain(field);
    expect(await sys.rowCount()).toBe(0);
    expect(sys.emulator.control.stats().total).toBe(0);
  });

  it('answers malformed HTTP bodies with 400, not 500', async () => {
    const res = await fetch(`${sys.app.url}/trpc/calendar.createEvent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sys.token}`, 'content-type': 'application/json' },
      body: '{"json": ',
    });
    expect(res.status).toBe(400);
    expect(await sys.rowCount()).toBe(0);
  });
});

describe('failures leave no half-written state', () => {
  it('when the database write fails after Google accepted, a retry with the same key completes exactly once', async () => {
    await sys.sql.query(`create or replace function calsync_test_fail() returns trigger language plpgsql as $$ begin raise exception 'disk full (test)'; end $$`);
    await sys.sql.query('create trigger calsync_test_fail before insert on calendar_events for each row execute function calsync_test_fail()');
    try {
      const err = await failure(sys.client.calendar.createEvent.mutate({ ...meeting, idempotencyKey: 'db-failure' }));
      expect(err.code).toBe('INTERNAL_SERVER_ERROR');
      expect(err.message).not.toMatch(/disk full|calendar_events|insert/i);
      expect(await sys.rowCount()).toBe(0);
    } finally {
      await sys.sql.query('drop trigger calsync_test_fail on calendar_events');
    }
    const retried = await sys.client.calendar.createEvent.mutate({ ...meeting, idempotencyKey: 'db-failure' });
    expect(retried.meetLink).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(1);
    expect(await sys.rowCount()).toBe(1);
  });
});
