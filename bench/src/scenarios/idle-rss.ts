import { result, type Result } from '../report.ts';
import type { BenchServer } from '../system.ts';
import { steadyRss } from '../util/rss.ts';
import { round } from '../util/stats.ts';

/** RSS of a server process that has started and has nothing to do. */
export async function idleRssScenario(server: BenchServer): Promise<Result[]> {
  const idle = await steadyRss(server.pid, { windowMs: 2000, toleranceMb: 1, timeoutMs: 15_000 });
  return [result('idle server RSS', round(idle.rssMb, 1), 'MB', { op: '<', value: 150 }, { waitedMs: idle.waitedMs, steady: idle.steady })];
}
