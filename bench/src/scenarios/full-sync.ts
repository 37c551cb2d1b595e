import type { Sizes } from '../modes.ts';
import { result, type Result } from '../report.ts';
import type { BenchServer, BenchSystem } from '../system.ts';
import { cpuMeter } from '../util/cpu.ts';
import { sampleRss } from '../util/rss.ts';
import { round } from '../util/stats.ts';

/** The one-off full sync's numbers, for rows that compare with it (the recurring calendar's). */
export interface FullSyncSummary {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  peakMb: number;
  listCalls: number;
  /** CPU seconds of the sync: the server, the emulator (the bench process), PostgreSQL. */
  cpu: { serverS: number; benchS: number; postgresS: number };
}

/**
 * One measured `calendar.sync {full: true}` of the server's calendar: wall time, the server's
 * peak RSS, CPU by process and the Google calls it made (the emulator's stats, reset first).
 */
export async function measuredFullSync(system: BenchSystem, server: BenchServer) {
  system.emulator.control.resetStats();
  const rss = sampleRss(server.pid);
  const cpuMeasure = await cpuMeter({ serverPid: server.pid, sql: system.sql, databaseUrl: system.databaseUrl });
  const started = performance.now();
  const outcome = await server.client.calendar.sync.mutate({ full: true });
  const seconds = (performance.now() - started) / 1000;
  const memory = rss.stop();
  const cpu = await cpuMeasure.stop();
  return { outcome, seconds, memory, cpu, stats: system.emulator.control.stats() };
}

/**
 * A calendar of `syncEvents` events appears in Google; `calendar.sync {full: true}` over the API
 * copies it, end to end (listing pages, upserts, the sweep for ghosts). Returns the ids seeded,
 * for the scenarios that edit them later.
 */
export async function fullSyncScenario(system: BenchSystem, server: BenchServer, sizes: Sizes): Promise<{ results: Result[]; ids: string[]; summary: FullSyncSummary }> {
  const { ids } = system.emulator.control.seedEvents(system.calendarId, sizes.syncEvents);
  const { outcome, seconds, memory, cpu, stats } = await measuredFullSync(system, server);

  const rows = await system.sql.query<{ n: string }>(`select count(*) as n from calendar_events where calendar_id = $1 and status <> 'cancelled'`, [system.calendarId]);
  const stored = Number(rows.rows[0]?.n ?? 0);
  if (stored !== ids.length) throw new Error(`full sync stored ${stored} live events, Google has ${ids.length}`);

  const details = {
    events: ids.length,
    seconds: round(seconds, 2),
    outcome,
    listCalls: stats['events.list'],
    cpu,
    rss: { startMb: round(memory.startMb, 1), endMb: round(memory.endMb, 1), samples: memory.samples, hwmReset: memory.hwmReset },
  };
  return {
    ids,
    summary: { events: ids.length, seconds: round(seconds, 2), eventsPerSecond: Math.round(ids.length / seconds), peakMb: round(memory.peakMb, 1), listCalls: stats['events.list'], cpu },
    results: [
      result('full sync throughput', Math.round(ids.length / seconds), 'events/s', { op: '>=', value: 10_000 }, details),
      result('full sync peak server RSS', round(memory.peakMb, 1), 'MB', { op: '<', value: 300 }, details),
    ],
  };
}
