/** The Google methods the emulator serves; stats are counted per method name. */
export const API_METHODS = [
  'token',
  'calendars.get',
  'events.insert',
  'events.get',
  'events.list',
  'events.instances',
  'events.patch',
  'events.update',
  'events.delete',
  'events.watch',
  'channels.stop',
  'freebusy.query',
] as const;

export type ApiMethod = (typeof API_METHODS)[number];

/**
 * Calls per method; `total` counts every call, `token` included, so "this operation cost N
 * Google calls" is one subtraction. Compare a single method (e.g. `events.list`) for finer claims.
 */
export type ApiStats = Record<ApiMethod, number> & { total: number };

/** Calls in flight for one `${method} ${calendarId}` (or bare method) key, and the most seen at once. */
export interface ConcurrencyStat {
  max: number;
  current: number;
}

export class Stats {
  private counts = new Map<ApiMethod, number>();
  private flight = new Map<string, ConcurrencyStat>();

  count(method: ApiMethod): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  snapshot(): ApiStats {
    const out = { total: 0 } as ApiStats;
    for (const m of API_METHODS) {
      const n = this.counts.get(m) ?? 0;
      out[m] = n;
      out.total += n;
    }
    return out;
  }

  /** A call arrived; returns the function that marks it finished (idempotent). */
  enter(key: string): () => void {
    let stat = this.flight.get(key);
    if (!stat) {
      stat = { max: 0, current: 0 };
      this.flight.set(key, stat);
    }
    stat.current += 1;
    stat.max = Math.max(stat.max, stat.current);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      // Looked up again: a reset may have replaced the entry while the call was in flight.
      const s = this.flight.get(key);
      if (s) s.current = Math.max(0, s.current - 1);
    };
  }

  concurrency(): Record<string, ConcurrencyStat> {
    const out: Record<string, ConcurrencyStat> = {};
    for (const [key, s] of this.flight) out[key] = { max: s.max, current: s.current };
    return out;
  }

  reset(): void {
    this.counts.clear();
    // Calls still in flight stay counted (they will leave later); the maxima start over from them.
    for (const [key, s] of this.flight) {
      if (s.current === 0) this.flight.delete(key);
      else s.max = s.current;
    }
  }
}
