import type { Sizes } from '../modes.ts';
import { result, type Result } from '../report.ts';
import type { BenchServer, BenchSystem } from '../system.ts';
import { summarize } from '../util/stats.ts';
import { pollUntil } from '../util/time.ts';
import { personEdits, pick, quiet } from './push.ts';

/** A person edits in Google -> calendar.listEvents through the typed client shows it (what a CRM user sees). */
export async function webhookVisibleScenario(system: BenchSystem, server: BenchServer, ids: readonly string[], sizes: Sizes): Promise<Result[]> {
  const latencies: number[] = [];
  for (let i = 0; i < sizes.samples; i++) {
    await quiet(system);
    // Other events than the incremental scenario's, so every sample is a first change of its event.
    const id = pick(ids, i + sizes.samples);
    const summary = `Renamed in Google (${i})`;
    const started = performance.now();
    const edited = personEdits(system, id, summary);
    const startIso = edited.start?.dateTime;
    if (!startIso) throw new Error(`event ${id} has no start time`);
    const timeMin = new Date(startIso);
    const timeMax = new Date(timeMin.getTime() + 60_000);
    await pollUntil(
      async () => {
        const page = await server.client.calendar.listEvents.query({ timeMin, timeMax, limit: 10 });
        return page.items.some((e) => e.googleEventId === id && e.summary === summary) ? true : undefined;
      },
      { timeoutMs: 10_000, what: `listEvents to show "${summary}"` },
    );
    latencies.push(performance.now() - started);
  }
  const latency = summarize(latencies);
  return [
    result('webhook -> visible in listEvents p50', latency.p50, 'ms', { op: '<', value: 100 }, { latency }),
    result('webhook -> visible in listEvents p99', latency.p99, 'ms', { op: '<', value: 1000 }, { latency }),
  ];
}
