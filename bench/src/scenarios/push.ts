import type { EventResource } from '@calsync/google-calendar-emulator';
import type { BenchServer, BenchSystem } from '../system.ts';
import { sleep } from '../util/time.ts';

/** Longer than the server's SYNC_MIN_INTERVAL_MS (500 ms): the next lone change syncs at once, not coalesced. */
const QUIET_MS = 600;

/** Opens the push channel (the watch also syncs) and waits for the handshake to settle. */
export async function watchCalendar(system: BenchSystem, server: BenchServer): Promise<void> {
  await server.client.calendar.watch.mutate();
  await quiet(system);
}

/** Nothing in flight and the scheduler ready to sync at once: each sample starts from the same state. */
export async function quiet(system: BenchSystem): Promise<void> {
  await system.emulator.control.notificationsIdle();
  await sleep(QUIET_MS);
  await system.emulator.control.notificationsIdle();
}

/** "A person edits the event in Google's UI": a real change with a new etag and a push notification. */
export function personEdits(system: BenchSystem, googleEventId: string, summary: string): EventResource {
  return system.emulator.control.editEvent(system.calendarId, googleEventId, { summary });
}

/** Spreads samples over the calendar instead of editing one hot event. */
export function pick(ids: readonly string[], i: number): string {
  const id = ids[(i * 7919) % ids.length];
  if (id === undefined) throw new Error('no events to edit');
  return id;
}
