export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value (not undefined) or the timeout passes; tight on purpose, latency is measured with it. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, opts: { timeoutMs: number; what: string; intervalMs?: number }): Promise<T> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`);
    if (opts.intervalMs) await sleep(opts.intervalMs);
  }
}
