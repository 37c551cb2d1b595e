import type { CalendarChangeMessage } from '@calsync/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CALENDAR_USER } from './support/backing-services.ts';
import { clientFor } from './support/client.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';
import { eventually, useBackingServices } from './support/system.ts';

// Two real server processes (as two replicas behind a load balancer) on one database and one
// Google: however syncs are triggered on both, one calendar is never synced twice at once; and a
// page open on one replica hears what happened on the other.
const backing = useBackingServices({ env: { SYNC_MIN_INTERVAL_MS: '0' } });
const servers: ServerProcess[] = [];

beforeAll(async () => {
  // Started together: their migrations race too.
  servers.push(...(await Promise.all([startServerProcess(backing.env), startServerProcess(backing.env)])));
}, 90_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
});

/** The typed clients of both replicas, as one user. */
const clients = async () => (await Promise.all(servers.map((s) => clientFor(s.url, 'user-1')))).map((u) => u.client);

it('never runs the same calendar sync concurrently in two processes', async () => {
  const [a, b] = await clients();
  if (!a || !b) throw new Error('two servers expected');
  for (let i = 0; i < 300; i++) {
    backing.emulator.control.createEvent(CALENDAR_USER, { summary: `e${i}`, start: { dateTime: '2031-08-01T10:00:00Z' }, end: { dateTime: '2031-08-01T11:00:00Z' } });
  }
  // Slow Google answers widen any overlap.
  backing.emulator.control.setLatency(20);
  await a.calendar.watch.mutate();
  backing.emulator.control.resetStats();

  // Explicit syncs on both replicas at once, while person edits fire notifications at both.
  const edits = (async () => {
    for (let i = 0; i < 30; i++) {
      backing.emulator.control.createEvent(CALENDAR_USER, { summary: `late ${i}`, start: { dateTime: '2031-08-02T10:00:00Z' }, end: { dateTime: '2031-08-02T11:00:00Z' } });
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const results = await Promise.all([
    ...Array.from({ length: 4 }, () => a.calendar.sync.mutate({ full: true })),
    ...Array.from({ length: 4 }, () => b.calendar.sync.mutate({ full: true })),
    edits,
  ]);
  expect(results.filter((r) => r && typeof r === 'object' && 'fullSync' in r)).toHaveLength(8);
  await backing.emulator.control.notificationsIdle();
  await b.calendar.sync.mutate();

  const lists = backing.emulator.control.concurrency()[`events.list ${CALENDAR_USER}`];
  expect(backing.emulator.control.stats()['events.list']).toBeGreaterThanOrEqual(8);
  expect(lists?.max).toBe(1);

  // And the copy is exact.
  const page = await a.calendar.listEvents.query({ timeMin: new Date('2031-08-01T00:00:00Z'), timeMax: new Date('2031-08-03T00:00:00Z'), limit: 2500 });
  expect(page.items).toHaveLength(330);
}, 60_000);

it('tells pages open on either replica about a write made through one of them, and a sync that ran there, once each', async () => {
  const [a, b] = await clients();
  if (!a || !b) throw new Error('two servers expected');
  const pages = [a, b].map((client) => {
    const page = { heard: [] as CalendarChangeMessage[], started: false, stop: () => undefined as void };
    const sub = client.calendar.onChange.subscribe(undefined, { onStarted: () => (page.started = true), onData: (m) => page.heard.push(m) });
    page.stop = () => sub.unsubscribe();
    return page;
  });
  try {
    await eventually(() => expect(pages.every((p) => p.started)).toBe(true));
    const created = await a.calendar.createEvent.mutate({
      summary: 'Made on replica A',
      startTime: new Date('2031-08-05T10:00:00Z'),
      endTime: new Date('2031-08-05T10:30:00Z'),
      createMeetLink: false,
    });
    // A person edits the event in Google; replica A holds the channel (it called watch) and syncs.
    backing.emulator.control.editEvent(CALENDAR_USER, created.googleEventId, { summary: 'Edited in Google' });
    await backing.emulator.control.notificationsIdle();
    await a.calendar.sync.mutate();
    for (const page of pages) {
      await eventually(() => {
        expect(page.heard).toContainEqual(expect.objectContaining({ source: 'write', changed: 1, deleted: 0 }));
        expect(page.heard).toContainEqual(expect.objectContaining({ source: 'sync', changed: 1 }));
      }, 2000);
    }
    // Once each: a process does not tell its pages again when its own message comes back.
    await new Promise((r) => setTimeout(r, 300));
    for (const page of pages) expect(page.heard.map((m) => m.source).sort()).toEqual(['sync', 'write']);
    const week = await b.calendar.listEvents.query({ timeMin: new Date('2031-08-05T00:00:00Z'), timeMax: new Date('2031-08-06T00:00:00Z') });
    expect(week.items.map((e) => e.summary)).toEqual(['Edited in Google']);
  } finally {
    for (const page of pages) page.stop();
  }
}, 30_000);
