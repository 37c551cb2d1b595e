import { expect, it } from 'vitest';
import { CALENDAR_USER } from './support/backing-services.ts';
import { clientFor } from './support/client.ts';
import { startServerProcess } from './support/server-process.ts';
import { useBackingServices } from './support/system.ts';

// SIGTERM (a deploy, a scale-down): the request in flight still gets its answer, new ones are
// refused, and the process exits 0.
const backing = useBackingServices();

it('finishes the request in flight, then exits 0', async () => {
  const server = await startServerProcess({ ...backing.env, JOBS_ENABLED: 'true' });
  const { client } = await clientFor(server.url, 'user-1');
  await client.calendar.listEvents.query({ timeMin: new Date('2031-01-01'), timeMax: new Date('2031-01-02') });

  // Google is slow: the create is still waiting on it when the signal comes.
  backing.emulator.control.setLatency(800);
  const inFlight = client.calendar.createEvent.mutate({ summary: 'Signed before shutdown', startTime: new Date('2031-11-03T10:00:00Z'), endTime: new Date('2031-11-03T11:00:00Z'), createMeetLink: false });
  await new Promise((r) => setTimeout(r, 300));
  const exited = server.stop('SIGTERM');

  const created = await inFlight;
  expect(created.summary).toBe('Signed before shutdown');
  expect(await exited).toBe(0);
  expect(server.output()).toMatch(/"msg":"stopped"/);
  await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  expect(backing.emulator.control.listEvents(CALENDAR_USER)).toHaveLength(1);
}, 60_000);
