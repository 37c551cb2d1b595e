import type { calendar_v3 } from '@googleapis/calendar';
import { describe, expect, it } from 'vitest';
import { failure } from './google-client.ts';
import { USER, at, useEmulator } from './fixture.ts';

const f = useEmulator();

function hour(h: number): { start: { dateTime: string }; end: { dateTime: string } } {
  const start = Date.UTC(2030, 0, 1, h);
  return { start: at(new Date(start).toISOString()), end: at(new Date(start + 3600_000).toISOString()) };
}

async function listAll(params: calendar_v3.Params$Resource$Events$List): Promise<{ items: calendar_v3.Schema$Event[]; pages: calendar_v3.Schema$Events[] }> {
  const pages: calendar_v3.Schema$Events[] = [];
  let pageToken: string | undefined;
  do {
    const { data } = await f.user.events.list({ ...params, ...(pageToken ? { pageToken } : {}) });
    pages.push(data);
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return { items: pages.flatMap((p) => p.items ?? []), pages };
}

describe('events.list', () => {
  it('pages: every page but the last has nextPageToken, the last has nextSyncToken only', async () => {
    f.emu.control.seedEvents(USER, 7);
    const { items, pages } = await listAll({ calendarId: 'primary', maxResults: 3 });
    expect(items).toHaveLength(7);
    expect(new Set(items.map((e) => e.id)).size).toBe(7);
    expect(pages.map((p) => [Boolean(p.nextPageToken), Boolean(p.nextSyncToken)])).toEqual([
      [true, false],
      [true, false],
      [false, true],
    ]);
    expect(pages[0]).toMatchObject({ kind: 'calendar#events', timeZone: 'UTC', accessRole: 'owner', defaultReminders: [] });
    // Exactly a full last page must still end with a sync token, not an empty extra page.
    const exact = await listAll({ calendarId: 'primary', maxResults: 7 });
    expect(exact.pages).toHaveLength(1);
    expect(exact.pages[0]?.nextSyncToken).toBeTruthy();
  });

  it('validates maxResults and orderBy', async () => {
    expect(await failure(f.user.events.list({ calendarId: 'primary', maxResults: 0 }))).toMatchObject({ status: 400, reason: 'invalid' });
    expect(await failure(f.user.events.list({ calendarId: 'primary', orderBy: 'startTime' }))).toMatchObject({ status: 400, reason: 'invalid' });
    expect(await failure(f.user.events.list({ calendarId: 'primary', pageToken: 'garbage' }))).toMatchObject({ status: 400, reason: 'invalid' });
  });

  it('timeMin filters on end, timeMax on start, both exclusive', async () => {
    for (const h of [8, 9, 10, 11]) await f.user.events.insert({ calendarId: 'primary', requestBody: { summary: `h${h}`, ...hour(h) } });
    const { data } = await f.user.events.list({
      calendarId: 'primary',
      timeMin: '2030-01-01T10:00:00Z', // the 9:00-10:00 event ends exactly here: excluded
      timeMax: '2030-01-01T11:00:00Z', // the 11:00 event starts exactly here: excluded
      singleEvents: true,
      orderBy: 'startTime',
    });
    expect(data.items?.map((e) => e.summary)).toEqual(['h10']);
    const range = await f.user.events.list({ calendarId: 'primary', timeMin: '2030-01-01T09:30:00+00:00', timeMax: '2030-01-01T11:00:00.001Z' });
    expect(range.data.items?.map((e) => e.summary).sort()).toEqual(['h10', 'h11', 'h9']);
  });

  it('orderBy startTime, q, and showDeleted', async () => {
    for (const h of [12, 9, 15]) await f.user.events.insert({ calendarId: 'primary', requestBody: { summary: `Meeting ${h}`, ...hour(h) } });
    const gone = await f.user.events.insert({ calendarId: 'primary', requestBody: { summary: 'Gone', ...hour(1) } });
    await f.user.events.delete({ calendarId: 'primary', eventId: gone.data.id! });
    const ordered = await listAll({ calendarId: 'primary', singleEvents: true, orderBy: 'startTime', maxResults: 1 });
    expect(ordered.items.map((e) => e.summary)).toEqual(['Meeting 9', 'Meeting 12', 'Meeting 15']);
    expect((await f.user.events.list({ calendarId: 'primary', q: 'meeting 1' })).data.items).toHaveLength(2);
    const withDeleted = await f.user.events.list({ calendarId: 'primary', showDeleted: true });
    expect(withDeleted.data.items).toHaveLength(4);
    expect(withDeleted.data.items?.find((e) => e.id === gone.data.id)).toEqual({ kind: 'calendar#event', etag: expect.any(String), id: gone.data.id, status: 'cancelled' });
  });
});

describe('incremental sync', () => {
  it('returns only changes since the token, deletions as minimal stubs', async () => {
    const a = await f.user.events.insert({ calendarId: 'primary', requestBody: { summary: 'A', ...hour(1) } });
    const b = await f.user.events.insert({ calendarId: 'primary', requestBody: { summary: 'B', ...hour(2) } });
    const full = await f.user.events.list({ calendarId: 'primary' });
    const token = full.data.nextSyncToken!;
    expect((await f.user.events.list({ calendarId: 'primary', syncToken: token })).data.items).toEqual([]);

    await f.user.events.patch({ calendarId: 'primary', eventId: a.data.id!, requestBody: { summary: 'A2' } });
    await f.user.events.delete({ calendarId: 'primary', eventId: b.data.id! });
    f.emu.control.createEvent(USER, { summary: 'From the UI', ...hour(3) });
    const delta = await f.user.events.list({ calendarId: 'primary', syncToken: token });
    const byId = new Map(delta.data.items?.map((e) => [e.id, e]));
    expect(delta.data.items).toHaveLength(3);
    expect(byId.get(a.data.id!)?.summary).toBe('A2');
    expect(byId.get(b.data.id!)).toEqual({ kind: 'calendar#event', etag: expect.any(String), id: b.data.id, status: 'cancelled' });
    expect(delta.data.items?.some((e) => e.summary === 'From the UI')).toBe(true);
    expect(delta.data.nextSyncToken).toBeTruthy();
  });

  it('pages incremental results the same way', async () => {
    const { data } = await f.user.events.list({ calendarId: 'primary' });
    f.emu.control.seedEvents(USER, 5);
    const delta = await listAll({ calendarId: 'primary', syncToken: data.nextSyncToken!, maxResults: 2 });
    expect(delta.items).toHaveLength(5);
    expect(delta.pages).toHaveLength(3);
    expect(delta.pages.at(-1)?.nextSyncToken).toBeTruthy();
  });

  it('refuses filters with a syncToken (400) and answers 410 fullSyncRequired for bad or expired tokens', async () => {
    const { data } = await f.user.events.list({ calendarId: 'primary' });
    const token = data.nextSyncToken!;
    expect(await failure(f.user.events.list({ calendarId: 'primary', syncToken: token, q: 'x' }))).toMatchObject({ status: 400, reason: 'invalid' });
    expect(await failure(f.user.events.list({ calendarId: 'primary', syncToken: token, timeMin: '2030-01-01T00:00:00Z' }))).toMatchObject({ status: 400, reason: 'invalid' });
    const unknown = await failure(f.user.events.list({ calendarId: 'primary', syncToken: 'not-a-token' }));
    expect(unknown).toMatchObject({ status: 410, reason: 'fullSyncRequired' });
    expect(unknown.body).toMatchObject({ error: { code: 410, errors: [{ domain: 'calendar', locationType: 'parameter', location: 'syncToken' }] } });
    f.emu.control.expireSyncTokens(USER);
    expect(await failure(f.user.events.list({ calendarId: 'primary', syncToken: token }))).toMatchObject({ status: 410, reason: 'fullSyncRequired' });
    // A fresh full sync gives a working token again.
    const again = await f.user.events.list({ calendarId: 'primary' });
    expect((await f.user.events.list({ calendarId: 'primary', syncToken: again.data.nextSyncToken! })).status).toBe(200);
  });

  it('a change made while a full listing is paged is delivered again by the next sync (never lost)', async () => {
    f.emu.control.seedEvents(USER, 4);
    const first = await f.user.events.list({ calendarId: 'primary', maxResults: 2 });
    const seen = first.data.items![0]!;
    // Changed after the first page was served, and already delivered on that page.
    f.emu.control.editEvent(USER, seen.id!, { summary: 'changed mid-listing' });
    let page = first.data;
    while (page.nextPageToken) page = (await f.user.events.list({ calendarId: 'primary', maxResults: 2, pageToken: page.nextPageToken })).data;
    const next = await f.user.events.list({ calendarId: 'primary', syncToken: page.nextSyncToken! });
    expect(next.data.items?.map((e) => e.summary)).toContain('changed mid-listing');
  });

  it('syncTokenTtlMs expires old tokens', async () => {
    let now = Date.now();
    const { startEmulator } = await import('../src/index.ts');
    const { googleCalendar } = await import('./google-client.ts');
    const emu = await startEmulator({ now: () => now, syncTokenTtlMs: 60_000 });
    try {
      emu.registerServiceAccount(f.delegatedKey, { domainWideDelegation: true });
      const api = googleCalendar(emu.url, f.delegatedKey, { subject: USER });
      const token = (await api.events.list({ calendarId: 'primary' })).data.nextSyncToken!;
      now += 61_000;
      expect(await failure(api.events.list({ calendarId: 'primary', syncToken: token }))).toMatchObject({ status: 410, reason: 'fullSyncRequired' });
    } finally {
      await emu.close();
    }
  });
});

describe('scale', () => {
  // Speed is measured by `pnpm bench`, not asserted here (shared, noisy machines).
  it('seeds 100k events and the real client lists every one exactly once in 40 pages of 2,500', async () => {
    f.emu.control.seedEvents(USER, 100_000);
    f.emu.control.resetStats();
    const { items, pages } = await listAll({ calendarId: 'primary', maxResults: 2500 });
    expect(items).toHaveLength(100_000);
    expect(new Set(items.map((e) => e.id)).size).toBe(100_000);
    expect(pages).toHaveLength(40);
    expect(f.emu.control.stats()['events.list']).toBe(40);
  }, 60_000);
});
