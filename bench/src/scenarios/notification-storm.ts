import type { Sizes } from '../modes.ts';
import { result, type Result } from '../report.ts';
import type { BenchSystem } from '../system.ts';
import { round } from '../util/stats.ts';
import { pollUntil, sleep } from '../util/time.ts';
import { personEdits, quiet } from './push.ts';

const TICKS = 20;
const TICK_MS = 50;
/** The sync is idle when no list call has arrived for this long (and no notification is in flight). */
const SETTLED_MS = 1500;

/**
 * A bulk edit: `stormEdits` changes within about a second on one calendar, each firing a
 * notification. Counts the list calls Google receives until everything settles and checks that
 * our copy then equals Google's, event for event.
 */
export async function notificationStormScenario(system: BenchSystem, ids: readonly string[], sizes: Sizes): Promise<Result[]> {
  const { control } = system.emulator;
  await quiet(system);
  control.resetStats();
  const before = control.notificationStats();
  // The last ids: neither earlier scenario edited them.
  const targets = ids.slice(-sizes.stormEdits);
  const expected = new Map<string, string>();
  const perTick = Math.ceil(targets.length / TICKS);
  const started = performance.now();
  for (let t = 0; t < TICKS; t++) {
    for (const id of targets.slice(t * perTick, (t + 1) * perTick)) expected.set(id, personEdits(system, id, `Bulk-updated stage ${t}`).etag);
    // Paced against the clock, so the burst spans about TICKS x TICK_MS whatever the edits cost.
    await sleep(Math.max(0, started + (t + 1) * TICK_MS - performance.now()));
  }
  const editSeconds = (performance.now() - started) / 1000;

  await control.notificationsIdle();
  await pollUntil(
    async () => {
      const r = await system.sql.query<{ n: string }>(
        `select count(*) as n from calendar_events e join jsonb_each_text($2::jsonb) x on x.key = e.google_event_id and x.value = e.etag where e.calendar_id = $1`,
        [system.calendarId, JSON.stringify(Object.fromEntries(expected))],
      );
      return Number(r.rows[0]?.n) === expected.size ? true : undefined;
    },
    { timeoutMs: 60_000, what: 'every storm edit to reach the database', intervalMs: 20 },
  );
  const appliedSeconds = (performance.now() - started) / 1000;

  let listCalls = control.stats()['events.list'];
  for (;;) {
    await sleep(SETTLED_MS);
    await control.notificationsIdle();
    const now = control.stats()['events.list'];
    if (now === listCalls) break;
    listCalls = now;
  }
  const notifications = control.notificationStats();
  const outOfSync = await compareWithGoogle(system);

  const details = {
    edits: expected.size,
    editSeconds: round(editSeconds, 2),
    allAppliedAfterSeconds: round(appliedSeconds, 2),
    notificationsDelivered: notifications.delivered - before.delivered,
    notificationsFailedAttempts: notifications.failedAttempts - before.failedAttempts,
    outOfSync,
  };
  return [
    result('notification storm: events.list calls', listCalls, 'calls', { op: '<=', value: 3 }, details),
    result('notification storm: events differing from Google after settle', outOfSync.count, 'events', { op: '=', value: 0 }, details),
  ];
}

/** Our live rows against Google's live events: id and etag must match one to one. */
async function compareWithGoogle(system: BenchSystem): Promise<{ count: number; examples: string[] }> {
  const google = new Map(
    system.emulator.control
      .listEvents(system.calendarId)
      .filter((e) => e.status !== 'cancelled')
      .map((e) => [e.id, e.etag] as const),
  );
  const rows = await system.sql.query<{ google_event_id: string; etag: string | null }>(
    `select google_event_id, etag from calendar_events where calendar_id = $1 and status <> 'cancelled'`,
    [system.calendarId],
  );
  const differing: string[] = [];
  for (const row of rows.rows) {
    if (google.get(row.google_event_id) !== row.etag) differing.push(row.google_event_id);
    google.delete(row.google_event_id);
  }
  differing.push(...google.keys());
  return { count: differing.length, examples: differing.slice(0, 5) };
}
