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
