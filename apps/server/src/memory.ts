type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * One memory-reducing garbage collection, for the moment after a burst of allocation that is
 * followed by quiet (start-up: module loading and migrations). V8 sizes its young generation
 * and heap limits for the burst and would keep them: its memory reducer only starts once it has
 * measured a low allocation rate, and it measures at collections, which an idle process never
 * has. This returns the garbage and the grown young generation to the OS (about 50 MB after
 * start-up). Blocks for a few tens of milliseconds. Needs `--expose-gc` (the start script's node
 * flags); without it, nothing happens.
 */
export function releaseUnusedMemory(): boolean {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== 'function') return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

export interface IdleReleaseOptions {
  /** How often the event loop's utilization is sampled. */
  everyMs?: number;
  /** A sample above this counts as work. */
  busyAbove?: number;
  /** After work, this long with every sample at or below busyAbove releases memory once. */
  quietMs?: number;
  /** The event loop's utilization since the previous call (0..1); performance's by default. */
  utilization?: () => number;
  release?: () => boolean;
  /**
   * Runs just before the release: drops state that only expired while the process rested (per-user
   * counters, remembered tokens), so the same collection returns it.
   */
  beforeRelease?: () => void;
}

/**
 * The same collection once the process is at rest again after work. V8 keeps the heap it grew
 * under load (after the 10,000-calendar bench: 132 MB of heap with 80 MB live, the young
 * generation at its largest) for the same reason as after start-up: an idle process has no
 * collections, so its memory reducer never runs. Samples the event loop's utilization; after a
 * sample above `busyAbove` and then `quietMs` of samples at or below it, releases once (a pause
 * of tens of milliseconds while nothing much is happening). Returns a function that stops it.
 */
export function releaseMemoryWhenIdle(opts: IdleReleaseOptions = {}): () => void {
  const everyMs = opts.everyMs ?? 5_000;
  const busyAbove = opts.busyAbove ?? 0.05;
  const quietMs = opts.quietMs ?? 30_000;
  const release = opts.release ?? releaseUnusedMemory;
  const utilization = opts.utilization ?? eventLoopUtilization();
  let worked = false;
  let quietFor = 0;
  const timer = setInterval(() => {
    if (utilization() > busyAbove) {
      worked = true;
      quietFor = 0;
      return;
    }
    quietFor += everyMs;
    if (worked && quietFor >= quietMs) {
      worked = false;
      opts.beforeRelease?.();
      release();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function eventLoopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}
