import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALENDAR_USER } from './support/backing-services.ts';
import { clientFor } from './support/client.ts';
import { failure } from './support/failure.ts';
import { startServerProcess } from './support/server-process.ts';
import { at, useBackingServices, useSystem } from './support/system.ts';

// Fault injection: Google has a bad day (throttling, outages, slow answers, expired tokens, a
// flaky push channel) and our process dies mid-sync. After each scenario the database must equal
// Google's calendar event for event, and no API caller may have seen an untyped 500.
const personEvent = (summary: string, day: number, hour = 10) => ({
  summary,
  start: { dateTime: `2031-10-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z` },
  end: { dateTime: `2031-10-${String(day).padStart(2, '0')}T${String(hour + 1).padStart(2, '0')}:00:00Z` },
});
const meeting = { summary: 'Renewal call', startTime: at('2031-10-20T15:00:00Z'), endTime: at('2031-10-20T15:30:00Z') };

describe('a bad day at Google', () => {
  // A short client timeout makes "slower than the timeout" cheap to provoke.
  const sys = useSystem({ env: { SYNC_MIN_INTERVAL_MS: '50', GOOGLE_TIMEOUT_MS: '800' } });
  beforeEach(async () => {
    await sys.reset();
  });

  it('bursts of 429 and 503 (with and without Retry-After) during pushes: everything converges', async () => {
    await sys.client.calendar.watch.mutate();
    sys.emulator.control.injectFaults([
      { method: 'events.list', status: 429, retryAfterSeconds: 1, times: 2 },
      { method: 'events.list', status: 503, times: 2 },
      { method: 'events.list', status: 403, reason: 'rateLimitExceeded', times: 1 },
    ]);
    for (let i = 0; i < 10; i++) sys.emulator.control.createEvent(sys.calendarId, personEvent(`e${i}`, 1 + i));
    await sys.expectInSyncWithGoogle();
    expect(await sys.localEvents()).toHaveLength(10);
  });

  it('API writes ride out throttling, and a lasting outage is a typed, retryable error with nothing stored', async () => {
    sys.emulator.control.injectFaults([
      { method: 'events.insert', status: 429, times: 2 },
      { method: 'events.insert', status: 503, retryAfterSeconds: 1, times: 1 },
    ]);
    const created = await sys.client.calendar.createEvent.mutate({ ...meeting, idempotencyKey: 'bad-day-1' });
    expect(created.meetLink).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(1);

    sys.emulator.control.injectFaults([{ method: 'events.insert', status: 503, times: 'always' }]);
    const err = await failure(sys.client.calendar.createEvent.mutate({ ...meeting, summary: 'During the outage' }));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.httpStatus).toBe(503);
    expect(err.message).toMatch(/temporarily unavailable/);
    sys.emulator.control.clearFaults();
    expect(await sys.rowCount()).toBe(1);
    await sys.expectInSyncWithGoogle();
  });

  it('an insert that times out but happened at Google is retried into exactly one event', async () => {
    // Google takes longer than our client waits, but does create the event.
    sys.emulator.control.injectFaults([{ method: 'events.insert', delayMs: 1_500, times: 1 }]);
    const created = await sys.client.calendar.createEvent.mutate({ ...meeting, idempotencyKey: 'slow-insert' });
    expect(created.summary).toBe(meeting.summary);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(1);
    expect(await sys.rowCount()).toBe(1);
  });

  it('slow list answers past the timeout are retried and the sync completes', async () => {
    sys.emulator.control.createEvent(sys.calendarId, personEvent('slowly listed', 3));
    sys.emulator.control.injectFaults([{ method: 'events.list', delayMs: 1_500, times: 2 }]);
    expect(await sys.client.calendar.sync.mutate()).toMatchObject({ changed: 1, fullSync: true });
    await sys.expectInSyncWithGoogle();
  });

  it('a 410 on the sync token leads to a full resync that also removes what was deleted meanwhile', async () => {
    await sys.client.calendar.watch.mutate();
    const doomed = sys.emulator.control.createEvent(sys.calendarId, personEvent('doomed', 4));
    sys.emulator.control.createEvent(sys.calendarId, personEvent('kept', 5));
    await sys.expectInSyncWithGoogle();
    sys.emulator.control.configureNotifications({ dropNext: 1 }, sys.calendarId);
    sys.emulator.control.deleteEvent(sys.calendarId, doomed.id);
    sys.emulator.control.injectFaults([{ method: 'events.list', status: 410, reason: 'fullSyncRequired', times: 1 }]);
    sys.emulator.control.createEvent(sys.calendarId, personEvent('after the 410', 6));
    await sys.expectInSyncWithGoogle();
    expect((await sys.localEvents()).map((e) => e.summary).sort()).toEqual(['after the 410', 'kept']);
  });

  it('an event with characters PostgreSQL cannot store does not block the calendar', async () => {
    await sys.client.calendar.watch.mutate();
    sys.emulator.control.createEvent(sys.calendarId, { ...personEvent('typed with a NUL: a\u0000b', 7), description: 'half a pair: \ud800' });
    sys.emulator.control.createEvent(sys.calendarId, personEvent('a normal one after it', 8));
    await sys.settle();
    const rows = await sys.sql.query('select summary, description from calendar_events order by summary');
    expect(rows.rows).toEqual([
      { summary: 'a normal one after it', description: null },
      { summary: 'typed with a NUL: ab', description: 'half a pair: \ufffd' },
    ]);
  });

  it('dropped, duplicated, delayed and reordered notifications all at once: a reconcile-style sync ends equal', async () => {
    await sys.client.calendar.watch.mutate();
    const base = Array.from({ length: 5 }, (_, i) => sys.emulator.control.createEvent(sys.calendarId, personEvent(`base ${i}`, 10 + i)));
    await sys.expectInSyncWithGoogle();
    sys.emulator.control.configureNotifications({ duplicate: true, delayMs: 30, dropNext: 3, paused: true }, sys.calendarId);
    for (const [i, e] of base.entries()) sys.emulator.control.editEvent(sys.calendarId, e.id, { summary: `edited ${i}` });
    sys.emulator.control.deleteEvent(sys.calendarId, base[0]?.id ?? '');
    sys.emulator.control.configureNotifications({ paused: false }, sys.calendarId);
    sys.emulator.control.flushNotifications({ calendarId: sys.calendarId, order: 'shuffle' });
    await sys.settle();
    // Whatever the notifications managed, one sync (what reconcile runs hourly) closes the gap.
    await sys.client.calendar.sync.mutate();
    await sys.expectInSyncWithGoogle();
  });
});

describe('a token endpoint outage', () => {
  const sys = useSystem();

  it('is a typed, retryable error while it lasts and heals by itself', async () => {
    // No token cached yet: the first call needs the token endpoint.
    sys.emulator.control.injectFaults([{ method: 'token', status: 503, times: 'always' }]);
    const err = await failure(sys.client.calendar.createEvent.mutate(meeting));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(await sys.rowCount()).toBe(0);

    sys.emulator.control.clearFaults();
    sys.emulator.control.injectFaults([{ method: 'token', status: 500, times: 2 }]);
    const created = await sys.client.calendar.createEvent.mutate(meeting);
    expect(created.status).toBe('confirmed');
    expect(await sys.rowCount()).toBe(1);
  });
});

describe('the process dies in the middle of a full sync', () => {
  const backing = useBackingServices();
  let sql: pg.Pool;

  beforeAll(() => {
    sql = new pg.Pool({ connectionString: backing.db.url, max: 2 });
  });
  afterAll(async () => {
    await sql?.end();
  });

  it('SIGKILL after some pages: the restarted process resumes and ends exact, no duplicate, no ghost', async () => {
    backing.emulator.control.seedEvents(CALENDAR_USER, 20_000);
    // Slow pages, so the kill lands between them.
    backing.emulator.control.setLatency(150);
    const first = await startServerProcess(backing.env);
    const { client } = await clientFor(first.url, 'user-1');
    const syncing = client.calendar.sync.mutate().catch(() => 'killed');
    const count = async () => Number((await sql.query('select count(*) from calendar_events')).rows[0].count);
    for (let i = 0; i < 400 && (await count()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await first.stop('SIGKILL');
    expect(await syncing).toBe('killed');
    const partial = await count();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(20_000);
    const state = await sql.query('select sync_token from calendar_sync_states');
    expect(state.rows[0]?.sync_token ?? null).toBeNull();

    // Meanwhile, people keep working in Google.
    const seeded = backing.emulator.control.listEvents(CALENDAR_USER);
    backing.emulator.control.deleteEvent(CALENDAR_USER, seeded[0]?.id ?? '');
    backing.emulator.control.editEvent(CALENDAR_USER, seeded[1]?.id ?? '', { summary: 'edited while we were down' });
    backing.emulator.control.setLatency(0);

    const second = await startServerProcess(backing.env);
    try {
      const { client: again } = await clientFor(second.url, 'user-1');
      expect(await again.calendar.sync.mutate()).toMatchObject({ fullSync: true });
      const local = await sql.query<{ google_event_id: string; etag: string }>(
        `select google_event_id, etag from calendar_events where status <> 'cancelled' order by google_event_id`,
      );
      const google = backing.emulator.control
        .listEvents(CALENDAR_USER)
        .filter((e) => e.status !== 'cancelled')
        .map((e) => ({ google_event_id: e.id, etag: e.etag }))
        .sort((a, b) => (a.google_event_id < b.google_event_id ? -1 : 1));
      expect(local.rows).toHaveLength(19_999);
      expect(local.rows).toEqual(google);
      const dupes = await sql.query('select google_event_id from calendar_events group by 1 having count(*) > 1');
      expect(dupes.rows).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
