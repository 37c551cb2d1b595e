import type { Sizes } from '../modes.ts';
import { result, type Result } from '../report.ts';
import type { BenchSystem } from '../system.ts';
import { summarize } from '../util/stats.ts';
import { pollUntil } from '../util/time.ts';
import { personEdits, pick, quiet } from './push.ts';

/** One edit in Google -> notification -> webhook -> incremental sync -> the row has the new etag. */
export async function incrementalSyncScenario(system: BenchSystem, ids: readonly string[], sizes: Sizes): Promise<Result[]> {
  const latencies: number[] = [];
  for (let i = 0; i < sizes.samples; i++) {
    await quiet(system);
    const id = pick(ids, i);
    const started = performance.now();
    const edited = personEdits(system, id, `Moved by the buyer (${i})`);
    await pollUntil(
      async () => {
        const r = await system.sql.query<{ etag: string | null }>('select etag from calendar_events where calendar_id = $1 and google_event_id = $2', [system.calendarId, id]);
        return r.rows[0]?.etag === edited.etag ? true : undefined;
      },
      { timeoutMs: 10_000, what: `the row of ${id} to get etag ${edited.etag}` },
    );
    latencies.push(performance.now() - started);
  }
  const latency = summarize(latencies);
  return [result('incremental sync of 1 change p50 (edit -> row)', latency.p50, 'ms', { op: '<', value: 50 }, { latency, calendarEvents: ids.length })];
}
