import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from './google-client.ts';
import { USER, at, useEmulator } from './fixture.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const f = useEmulator({ pushRetry: { baseDelayMs: 10, maxAttempts: 3 } });
const event = { summary: 'x', start: at('2030-01-01T10:00:00Z'), end: at('2030-01-01T11:00:00Z') };
let hook: Receiver;

beforeEach(async () => {
  hook = await startReceiver();
});
afterEach(async () => {
  await hook.close();
});

const watch = (id: string, extra: Record<string, unknown> = {}) =>
  f.user.events.watch({ calendarId: 'primary', requestBody: { id, type: 'web_hook', address: hook.url, ...extra } });

describe('events.watch / channels.stop', () => {
  it('creates a channel, sends sync then exists with the Google headers, and stops', async () => {
    const before = Date.now();
    const { data: ch } = await watch('chan-1', { token: 'secret', params: { ttl: '3600' } });
    expect(ch).toMatchObject({ kind: 'api#channel', id: 'chan-1', token: 'secret' });
    expect(ch.resourceUri).toContain(encodeURIComponent(USER));
    const expiration = Number(ch.expiration);
    expect(expiration).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expiration).toBeLessThan(Date.now() + 3601_000);

    const [sync] = await hook.waitFor(1);
    expect(sync!.body).toBe('');
    expect(sync!.headers).toMatchObject({
      'x-goog-channel-id': 'chan-1',
      'x-goog-channel-token': 'secret',
      'x-goog-resource-id': ch.resourceId,
      'x-goog-resource-uri': ch.resourceUri,
      'x-goog-resource-state': 'sync',
      'x-goog-message-number': '1',
      'x-goog-channel-expiration': new Date(expiration).toUTCString(),
    });

    await f.user.events.insert({ calendarId: 'primary', requestBody: event });
    f.emu.control.createEvent(USER, event);
    const all = await hook.waitFor(3);
    expect(all.slice(1).map((r) => r.headers['x-goog-resource-state'])).toEqual(['exists', 'exists']);
    // Deliveries run concurrently, so arrival order is not guaranteed (as with Google).
    const numbers = all.slice(1).map((r) => Number(r.headers['x-goog-message-number'])).sort((a, b) => a - b);
    expect(numbers[0]).toBeGreaterThan(1);
    expect(numbers[1]).toBeGreaterThan(numbers[0]!);

    // The resource id is stable per calendar.
    const second = await watch('chan-2');
    expect(second.data.resourceId).toBe(ch.resourceId);

    expect((await f.user.channels.stop({ requestBody: { id: 'chan-1', resourceId: ch.resourceId! } })).status).toBe(204);
    expect(await failure(f.user.channels.stop({ requestBody: { id: 'chan-1', resourceId: ch.resourceId! } }))).toMatchObject({ status: 404, reason: 'notFound' });
    await f.emu.control.notificationsIdle();
    const count = hook.received.filter((r) => r.headers['x-goog-channel-id'] === 'chan-1').length;
    await f.user.events.insert({ calendarId: 'primary', requestBody: event });
    await f.emu.control.notificationsIdle();
    expect(hook.received.filter((r) => r.headers['x-goog-channel-id'] === 'chan-1')).toHaveLength(count);
    expect(f.emu.control.stats()).toMatchObject({ 'events.watch': 2, 'channels.stop': 2 });
  });

  it('rejects a duplicate channel id and caps the ttl at 7 days', async () => {
    const { data } = await watch('dup', { params: { ttl: '99999999' } });
    expect(Number(data.expiration) - Date.now()).toBeLessThanOrEqual(604800_000);
    expect(await failure(watch('dup'))).toMatchObject({ status: 400 });
  });

  it('retries a failed delivery with backoff', async () => {
    hook.answers.push(500, 503);
    await watch('retry');
    const [sync] = await hook.waitFor(1);
    expect(sync!.headers['x-goog-resource-state']).toBe('sync');
    expect(f.emu.control.notificationStats()).toMatchObject({ delivered: 1, failedAttempts: 2 });
  });
});

describe('notification switches', () => {
  it('dropNext loses notifications; duplicate sends twice', async () => {
    await watch('sw');
    await hook.waitFor(1);
    f.emu.control.configureNotifications({ dropNext: 1 }, USER);
    f.emu.control.createEvent(USER, event);
    await f.emu.control.notificationsIdle();
    expect(hook.received).toHaveLength(1);
    f.emu.control.configureNotifications({ duplicate: true });
    f.emu.control.createEvent(USER, event);
    await hook.waitFor(3);
    expect(hook.received[1]!.headers['x-goog-message-number']).toBe(hook.received[2]!.headers['x-goog-message-number']);
    expect(f.emu.control.notificationStats().dropped).toBe(1);
  });

  it('pause holds notifications; flush releases them, here in reverse order', async () => {
    await watch('held');
    await hook.waitFor(1);
    f.emu.control.configureNotifications({ paused: true });
    for (let i = 0; i < 3; i++) f.emu.control.createEvent(USER, event);
    await f.emu.control.notificationsIdle();
    expect(hook.received).toHaveLength(1);
    expect(f.emu.control.notificationStats().held).toBe(3);
    f.emu.control.configureNotifications({ paused: false });
    expect(f.emu.control.flushNotifications({ order: 'reverse' })).toBe(3);
    const all = await hook.waitFor(4);
    await f.emu.control.notificationsIdle();
    const numbers = all.slice(1).map((r) => Number(r.headers['x-goog-message-number']));
    expect(numbers).toHaveLength(3);
    expect(new Set(numbers).size).toBe(3);
  });

  it('delayMs postpones delivery', async () => {
    await watch('slow');
    await hook.waitFor(1);
    f.emu.control.configureNotifications({ delayMs: 100 }, USER);
    f.emu.control.createEvent(USER, event);
    await new Promise((r) => setTimeout(r, 30));
    expect(hook.received).toHaveLength(1);
    await hook.waitFor(2);
  });

  it('closing the emulator cancels pending deliveries and Meet completions', async () => {
    const { startEmulator } = await import('../src/index.ts');
    const emu = await startEmulator({ meetPendingMs: 60_000 });
    const cal = 'owner@example.com';
    emu.control.createEvent(cal, {
      ...event,
      conferenceData: { createRequest: { requestId: 'r', conferenceSolutionKey: { type: 'hangoutsMeet' }, status: { statusCode: 'pending' } } },
    });
    emu.control.configureNotifications({ delayMs: 60_000 });
    emu.control.createEvent(cal, event);
    const idle = emu.control.notificationsIdle();
    const t0 = Date.now();
    await emu.close();
    await idle;
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('HTTP control API', () => {
  it('offers the same operations under /__emulator', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${f.emu.url}/__emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = (await (await post(`/calendars/${USER}/events`, event)).json()) as { id: string; status: string };
    expect(created.status).toBe('confirmed');
    expect(await (await post(`/calendars/${USER}/seed`, { count: 3 })).json()).toMatchObject({ inserted: 3 });
    const del = await fetch(`${f.emu.url}/__emulator/calendars/${USER}/events/${created.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const list = (await (await fetch(`${f.emu.url}/__emulator/calendars/${USER}/events`)).json()) as { items: { status: string }[] };
    expect(list.items.map((e) => e.status).sort()).toEqual(['cancelled', 'confirmed', 'confirmed', 'confirmed']);
    const stats = (await (await fetch(`${f.emu.url}/__emulator/stats`)).json()) as { total: number };
    expect(stats.total).toBe(0);
    const bad = await post(`/calendars/${USER}/events`, { start: at('2030-01-01T10:00:00Z') });
    expect(bad.status).toBe(400);
  });
});
