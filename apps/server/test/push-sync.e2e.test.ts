import { beforeEach, describe, expect, it } from 'vitest';
import { at, eventually, useSystem } from './support/system.ts';

// Changes made directly in Google (a person in Google Calendar, here the emulator's control API)
// reach our database through push channels and incremental sync, exactly once, whatever the
// delivery does. Nothing in these tests calls calendar.sync unless it says so.
const sys = useSystem({ env: { SYNC_MIN_INTERVAL_MS: '200' } });
const week = { timeMin: at('2031-07-07T00:00:00Z'), timeMax: at('2031-07-14T00:00:00Z') };
const personEvent = (summary: string, day: number, hour = 10) => ({
  summary,
  start: { dateTime: `2031-07-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z` },
  end: { dateTime: `2031-07-${String(day).padStart(2, '0')}T${String(hour + 1).padStart(2, '0')}:00:00Z` },
});

beforeEach(async () => {
  await sys.reset();
});

describe('watch', () => {
  it('opens a channel to our webhook and imports what Google already has at once', async () => {
    sys.emulator.control.createEvent(sys.calendarId, personEvent('Made in Google before the watch', 8));
    const channel = await sys.client.calendar.watch.mutate();

    expect(channel.channelId).toMatch(/^[0-9a-f-]{36}$/);
    expect(channel.expiration.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);
    const page = await sys.client.calendar.listEvents.query(week);
    expect(page.items.map((e) => e.summary)).toEqual(['Made in Google before the watch']);
    const state = await sys.sql.query('select channel_id, resource_id, active, sync_token is not null as has_token from calendar_sync_states');
    expect(state.rows).toEqual([{ channel_id: channel.channelId, resource_id: channel.resourceId, active: true, has_token: true }]);
  });

  it('replaces the channel on a second watch: new one first, old one stopped', async () => {
    const first = await sys.client.calendar.watch.mutate();
    const second = await sys.client.calendar.watch.mutate();
    expect(second.channelId).not.toBe(first.channelId);
    expect(sys.emulator.control.stats()['channels.stop']).toBe(1);

    // Only the new channel delivers; the change still arrives.
    sys.emulator.control.createEvent(sys.calendarId, personEvent('After the switch', 9));
    await eventually(async () => {
      expect((await sys.client.calendar.listEvents.query(week)).items.map((e) => e.summary)).toEqual(['After the switch']);
    });
  });
});

describe('changes made in Google', () => {
  it('an edit, a move and a delete by a person appear in listEvents without any sync call', async () => {
    await sys.client.calendar.watch.mutate();
    const a = sys.emulator.control.createEvent(sys.calendarId, personEvent('Pipeline review', 8));
    const b = sys.emulator.control.createEvent(sys.calendarId, personEvent('Forecast call', 9));
    await eventually(async () => expect((await sys.client.calendar.listEvents.query(week)).items).toHaveLength(2));

    sys.emulator.control.editEvent(sys.calendarId, a.id, { summary: 'Pipeline review (renamed)' });
    sys.emulator.control.editEvent(sys.calendarId, b.id, { start: { dateTime: '2031-07-10T15:00:00Z' }, end: { dateTime: '2031-07-10T16:00:00Z' } });
    await eventually(async () => {
      const items = (await sys.client.calendar.listEvents.query(week)).items;
      expect(items.map((e) => [e.summary, e.startTime.toISOString()])).toEqual([
        ['Pipeline review (renamed)', '2031-07-08T10:00:00.000Z'],
        ['Forecast call', '2031-07-10T15:00:00.000Z'],
      ]);
    });

    sys.emulator.control.deleteEvent(sys.calendarId, a.id);
    await eventually(async () => {
      expect((await sys.client.calendar.listEvents.query(week)).items.map((e) => e.summary)).toEqual(['Forecast call']);
    });
    await sys.expectInSyncWithGoogle();
  });

  it('our own writes echo back without duplicating rows or rewriting them', async () => {
    await sys.client.calendar.watch.mutate();
    const created = await sys.client.calendar.createEvent.mutate({ summary: 'From the CRM', startTime: at('2031-07-09T09:00:00Z'), endTime: at('2031-07-09T09:30:00Z') });
    await sys.settle();
    const row = await sys.sql.query('select count(*)::int as n, max(updated_at) as updated_at from calendar_events');
    expect(row.rows[0].n).toBe(1);
    // The echo carried the same etag: the guarded upsert did not touch the row.
    expect(new Date(row.rows[0].updated_at).getTime()).toBe(created.updatedAt.getTime());
    expect(sys.emulator.control.stats()['events.list']).toBeGreaterThanOrEqual(2);
    await sys.expectInSyncWithGoogle();
  });
});

describe('whatever the delivery does', () => {
  it('duplicated notifications are harmless', async () => {
    await sys.client.calendar.watch.mutate();
    sys.emulator.control.configureNotifications({ duplicate: true }, sys.calendarId);
    for (let i = 0; i < 5; i++) sys.emulator.control.createEvent(sys.calendarId, personEvent(`dup ${i}`, 8, 8 + i));
    await sys.expectInSyncWithGoogle();
    expect(await sys.localEvents()).toHaveLength(5);
  });

  it('dropped, late and out-of-order notifications still end equal to Google', async () => {
    await sys.client.calendar.watch.mutate();
    const e = sys.emulator.control.createEvent(sys.calendarId, personEvent('first', 8));
    await sys.expectInSyncWithGoogle();

    // Held, then released newest first: late and reordered.
    sys.emulator.control.configureNotifications({ paused: true }, sys.calendarId);
    sys.emulator.control.editEvent(sys.calendarId, e.id, { summary: 'second' });
    sys.emulator.control.createEvent(sys.calendarId, personEvent('another', 9));
    sys.emulator.control.editEvent(sys.calendarId, e.id, { summary: 'third' });
    sys.emulator.control.configureNotifications({ paused: false }, sys.calendarId);
    sys.emulator.control.flushNotifications({ calendarId: sys.calendarId, order: 'reverse' });
    await sys.expectInSyncWithGoogle();

    // Dropped: this change's notification never comes; the next one carries it along.
    sys.emulator.control.configureNotifications({ dropNext: 1 }, sys.calendarId);
    sys.emulator.control.editEvent(sys.calendarId, e.id, { summary: 'fourth (notification lost)' });
    await sys.settle();
    sys.emulator.control.createEvent(sys.calendarId, personEvent('later change', 10));
    await sys.expectInSyncWithGoogle();
    expect((await sys.localEvents()).map((x) => x.summary).sort()).toEqual(['another', 'fourth (notification lost)', 'later change']);
  });

  it('a burst of 1,000 notifications costs a few list calls and applies every change', async () => {
    await sys.client.calendar.watch.mutate();
    const events = Array.from({ length: 20 }, (_, i) => sys.emulator.control.createEvent(sys.calendarId, personEvent(`e${i}`, 8 + (i % 5), 8 + (i % 8))));
    await sys.expectInSyncWithGoogle();
    sys.emulator.control.resetStats();

    for (let i = 0; i < 1000; i++) {
      const target = events[i % events.length];
      if (!target) throw new Error('unreachable');
      sys.emulator.control.editEvent(sys.calendarId, target.id, { summary: `e${i % events.length} v${i}` });
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50));
    }
    await sys.expectInSyncWithGoogle();
    expect(sys.emulator.control.notificationStats().delivered).toBeGreaterThanOrEqual(1000);
    const lists = sys.emulator.control.stats()['events.list'];
    expect(lists).toBeGreaterThanOrEqual(1);
    expect(lists).toBeLessThanOrEqual(10);
  });
});

describe('sync tokens', () => {
  it('a 410 mid-life re-lists everything and removes events deleted while the token was invalid', async () => {
    await sys.client.calendar.watch.mutate();
    const keep = sys.emulator.control.createEvent(sys.calendarId, personEvent('keep', 8));
    const doomed = sys.emulator.control.createEvent(sys.calendarId, personEvent('doomed', 9));
    await sys.expectInSyncWithGoogle();

    sys.emulator.control.configureNotifications({ paused: true }, sys.calendarId);
    sys.emulator.control.expireSyncTokens(sys.calendarId);
    sys.emulator.control.deleteEvent(sys.calendarId, doomed.id);
    sys.emulator.control.editEvent(sys.calendarId, keep.id, { summary: 'kept and edited' });
    const result = await sys.client.calendar.sync.mutate();

    expect(result.fullSync).toBe(true);
    expect(result.deleted).toBe(1);
    expect((await sys.localEvents()).map((e) => e.summary)).toEqual(['kept and edited']);
    const row = await sys.sql.query('select status from calendar_events where google_event_id = $1', [doomed.id]);
    expect(row.rows[0]?.status).toBe('cancelled');
    sys.emulator.control.configureNotifications({ paused: false }, sys.calendarId);
    sys.emulator.control.flushNotifications();
    await sys.expectInSyncWithGoogle();
  });

  it('calendar.sync works without a watch, incremental after the first full listing', async () => {
    sys.emulator.control.createEvent(sys.calendarId, personEvent('one', 8));
    expect(await sys.client.calendar.sync.mutate()).toEqual({ changed: 1, deleted: 0, fullSync: true });
    sys.emulator.control.createEvent(sys.calendarId, personEvent('two', 9));
    expect(await sys.client.calendar.sync.mutate()).toEqual({ changed: 1, deleted: 0, fullSync: false });
    expect(await sys.client.calendar.sync.mutate()).toEqual({ changed: 0, deleted: 0, fullSync: false });
    expect(await sys.client.calendar.sync.mutate({ full: true })).toEqual({ changed: 0, deleted: 0, fullSync: true });
  });

  it('stopWatch stops the channel at Google and later changes are not pushed', async () => {
    await sys.client.calendar.watch.mutate();
    expect(await sys.client.calendar.stopWatch.mutate()).toEqual({ stopped: true });
    expect(await sys.client.calendar.stopWatch.mutate()).toEqual({ stopped: false });
    const lists = sys.emulator.control.stats()['events.list'];
    sys.emulator.control.createEvent(sys.calendarId, personEvent('unseen', 8));
    await sys.settle();
    expect(sys.emulator.control.stats()['events.list']).toBe(lists);
    expect(await sys.localEvents()).toEqual([]);
  });
});

describe('the webhook', () => {
  async function post(headers: Record<string, string>, body?: string, method = 'POST') {
    return fetch(`${sys.app.url}/webhooks/google-drive`, { method, headers, ...(body === undefined ? {} : { body }) });
  }

  it('refuses forged, unknown and header-less notifications with 403 and no Google call', async () => {
    const channel = await sys.client.calendar.watch.mutate();
    await sys.settle();
    sys.emulator.control.resetStats();
    const base = { 'x-goog-resource-id': channel.resourceId, 'x-goog-resource-state': 'exists', 'x-goog-message-number': '99' };

    expect((await post({ ...base, 'x-goog-channel-id': channel.channelId, 'x-goog-channel-token': 'forged' })).status).toBe(403);
    expect((await post({ ...base, 'x-goog-channel-id': channel.channelId })).status).toBe(403);
    expect((await post({ ...base, 'x-goog-channel-id': '11111111-2222-4333-8444-555555555555', 'x-goog-channel-token': 'x' })).status).toBe(403);
    expect((await post({})).status).toBe(403);
    await sys.settle();
    expect(sys.emulator.control.stats().total).toBe(0);
  });

  it('refuses other methods and bodies cleanly', async () => {
    expect((await post({}, undefined, 'GET')).status).toBe(405);
    expect((await post({ 'content-type': 'application/json' }, '{"a":1}')).status).toBe(400);
    expect((await post({ 'content-type': 'text/plain' }, 'x'.repeat(5000))).status).toBe(413);
  });
});
