import autocannon from 'autocannon';
import pg from 'pg';
import type { CapturedStatement } from '../list-query.ts';
import { round, summarize, type Summary } from './stats.ts';

export interface LoadResult {
  /** Every latency of the run (ms), for pooling rounds; not written to the report. */
  samples?: number[];
  /** Per-request latency in ms, full precision (autocannon's own histogram keeps whole milliseconds). */
  latency: Summary;
  requestsPerSecond: number;
  requests: number;
  failures: number;
  durationS: number;
}

/**
 * GETs over keep-alive connections, as a frontend polling one view would send: a closed loop
 * (each connection sends its next request when the answer came: saturation), or, with
 * `ratePerSecond`, requests at that overall rate (open loop: the latency of a service that is
 * not queueing behind itself).
 */
export function httpLoad(opts: { url: string; headers: Record<string, string>; connections: number; seconds: number; ratePerSecond?: number }): Promise<LoadResult & { autocannon: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      {
        url: opts.url,
        headers: opts.headers,
        connections: opts.connections,
        pipelining: 1,
        duration: opts.seconds,
        ...(opts.ratePerSecond ? { overallRate: opts.ratePerSecond } : {}),
      },
      (err: Error | null, result: autocannon.Result) => {
        if (err) return reject(err);
        resolve({
          samples: latencies,
          latency: summarize(latencies),
          requestsPerSecond: round(result.requests.total / result.duration, 1),
          requests: result.requests.total,
          failures: result.non2xx + result.errors,
          durationS: result.duration,
          autocannon: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/**
 * The same statements straight to PostgreSQL: `connections` clients in a closed loop, each
 * statement prepared once per connection (named), rows parsed by pg as the server's driver does.
 */
export async function sqlLoad(opts: { databaseUrl: string; statements: CapturedStatement[]; connections: number; seconds: number; ratePerSecond?: number }): Promise<LoadResult & { prepared: boolean }> {
  const clients = await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      const c = new pg.Client({ connectionString: opts.databaseUrl });
      await c.connect();
      return c;
    }),
  );
  const prepared = opts.statements.every((s) => s.text !== undefined);
  const queries = opts.statements.map((s, i) =>
    s.text !== undefined ? { name: `bench_list_${i}`, text: s.text, values: s.values } : { name: `bench_list_${i}`, text: s.inlined },
  );
  try {
    const run = async (ms: number, record: boolean) => {
      const latencies: number[] = [];
      let failures = 0;
      const start = performance.now();
      const end = start + ms;
      // With a rate, each connection has its own schedule and a request's latency counts from
      // when it was due (a late start is the system's delay too).
      const interval = opts.ratePerSecond ? (1000 * clients.length) / opts.ratePerSecond : 0;
      await Promise.all(
        clients.map(async (c, ci) => {
          let due = start + (interval * ci) / clients.length;
          while (performance.now() < end) {
            if (interval > 0) {
              const wait = due - performance.now();
              if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            }
            const t = interval > 0 ? due : performance.now();
            due += interval;
            try {
              for (const q of queries) await c.query(q);
              if (record) latencies.push(performance.now() - t);
            } catch {
              failures++;
            }
          }
        }),
      );
      return { latencies, failures };
    };
    // Warm: prepared plans cached, buffers hot, as for the HTTP run's warm-up.
    await run(1000, false);
    const started = performance.now();
    const { latencies, failures } = await run(opts.seconds * 1000, true);
    const durationS = (performance.now() - started) / 1000;
    return { samples: latencies, latency: summarize(latencies), requestsPerSecond: round(latencies.length / durationS, 1), requests: latencies.length, failures, durationS: round(durationS), prepared };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/**
 * Rounds of one load as one result: requests over total time, latencies pooled. Alternating
 * short rounds of two loads lets both see the same machine (a shared VM's speed drifts by 20 %
 * over a minute), where one long run each compared two different moments.
 */
export function pooled<T extends LoadResult>(rounds: readonly T[]): LoadResult & { rounds: Array<Omit<T, 'samples'>> } {
  const samples = rounds.flatMap((r) => r.samples ?? []);
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const durationS = rounds.reduce((n, r) => n + r.durationS, 0);
  return {
    latency: summarize(samples),
    requestsPerSecond: round(requests / durationS, 1),
    requests,
    failures: rounds.reduce((n, r) => n + r.failures, 0),
    durationS: round(durationS),
    rounds: rounds.map(({ samples: _samples, ...rest }) => rest),
  };
}
