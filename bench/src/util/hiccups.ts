import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { round } from './stats.ts';

const run = promisify(execFile);

export interface Hiccups {
  seconds: number;
  /** Times per second the spinning thread saw the clock jump by more than 1 / 5 / 10 ms. */
  over1msPerS: number;
  over5msPerS: number;
  over10msPerS: number;
  maxMs: number;
  /** Share of the time the thread did not run. */
  stalledPercent: number;
}

// Reads the clock in a loop without allocating (no garbage collection can run) and notes every
// gap: time the operating system or the hypervisor did not let the thread run.
const SPIN = `
const end = performance.now() + Number(process.argv[1]) * 1000;
let prev = performance.now(), n1 = 0, n5 = 0, n10 = 0, max = 0, stalled = 0;
for (;;) {
  const t = performance.now();
  const gap = t - prev;
  if (gap > 1) { n1++; stalled += gap; if (gap > 5) n5++; if (gap > 10) n10++; if (gap > max) max = gap; }
  prev = t;
  if (t > end) break;
}
process.stdout.write(JSON.stringify({ n1, n5, n10, max, stalled }));
`;

/**
 * How often a thread that wants the CPU all the time loses it, on an otherwise idle machine: on
 * a shared VM, the hypervisor's scheduling. Every request of a benchmark run on the same machine
 * is exposed to these stalls, so they bound its latency tail from below.
 */
export async function measureHiccups(seconds: number): Promise<Hiccups> {
  const { stdout } = await run(process.execPath, ['-e', SPIN, String(seconds)]);
  const r = JSON.parse(stdout) as { n1: number; n5: number; n10: number; max: number; stalled: number };
  const perS = (n: number) => round(n / seconds, 1);
  return {
    seconds,
    over1msPerS: perS(r.n1),
    over5msPerS: perS(r.n5),
    over10msPerS: perS(r.n10),
    maxMs: round(r.max, 1),
    stalledPercent: round((100 * r.stalled) / (seconds * 1000), 1),
  };
}
