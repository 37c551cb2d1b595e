/**
 * Background work over many calendars: pages of them, a few at a time, at most `perMinute`
 * started a minute so a wave of 10,000 leaves room under Google's project quota for what users
 * do meanwhile. One calendar's failure is its own: `work` handles it (the calendar goes to
 * `error` with a retry time), and the run goes on with the others.
 */
export interface BatchOptions<T> {
  /** The next page after the last item of the previous one (undefined: the first page); [] ends the run. */
  page(after: T | undefined): Promise<T[]>;
  work(item: T): Promise<void>;
  concurrency: number;
  /** Starts per minute at most; 0 = no pacing. */
  perMinute: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export async function forEachCalendar<T>(opts: BatchOptions<T>): Promise<number> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const gapMs = opts.perMinute > 0 ? 60_000 / opts.perMinute : 0;
  let nextStart = now();
  let processed = 0;
  let after: T | undefined;
  for (;;) {
    const items = await opts.page(after);
    if (items.length === 0) return processed;
    let index = 0;
    const worker = async () => {
      while (index < items.length) {
        const item = items[index++] as T;
        if (gapMs > 0) {
          const wait = nextStart - now();
          nextStart = Math.max(nextStart, now()) + gapMs;
          if (wait > 0) await sleep(wait);
        }
        await opts.work(item);
        processed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, items.length) }, worker));
    after = items.at(-1);
  }
}
