import { signToken } from '@calsync/api';
import { createCalendarClient } from '@calsync/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';
import { CALENDAR_USER, startBackingServices, TEST_JWT_SECRET } from './support/system.ts';

// Two real server processes (as two replicas behind a load balancer) on one database and one
// Google: however syncs are triggered on both, one calendar is never synced twice at once.
let backing: Awaited<ReturnType<typeof startBackingServices>>;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  backing = await startBackingServices();
  const env = { ...backing.env, SYNC_MIN_INTERVAL_MS: '0' };
  // Started together: their migrations race too.
  servers.push(...(await Promise.all([startServerProcess(env), startServerProcess(env)])));
}, 90_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  await backing?.close();
});

it('never runs the same calendar sync concurrently in two processes', async () => {
  const token = await signToken(TEST_JWT_SECRET, 'user-1');
  const [a, b] = servers.map((s) => createCalendarClient({ url: `${s.url}/trpc`, getToken: () => token }));
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
