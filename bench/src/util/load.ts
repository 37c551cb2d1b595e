import http from 'node:http';
import autocannon from 'autocannon';
import pg from 'pg';
import type { CapturedStatement } from '../list-query.ts';
import { round, summarize, type Summary } from './stats.ts';
import { sleep } from './time.ts';

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
 * GETs over keep-alive connections, as a frontend polling one view would send, in a closed loop:
 * each connection sends its next request when the answer came (saturation). autocannon's own
 * rate option is not used for a rate: it sends each second's share back to back, then waits (a
 * burst every second, not a steady rate); see httpLoadAtRate.
 */
export function httpLoad(opts: { url: string; headers: Record<string, string>; connections: number; seconds: number }): Promise<LoadResult & { autocannon: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      { url: opts.url, headers: opts.headers, connections: opts.connections, pipelining: 1, duration: opts.seconds },
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
 * The same GETs at a steady overall rate (open loop): each keep-alive connection has its own
 * evenly spaced schedule, and a request's latency counts from when it was due, so an answer that
 * comes late also delays (and is charged to) the requests queued behind it.
 */
export async function httpLoadAtRate(opts: { url: string; headers: Record<string, string>; connections: number; seconds: number; ratePerSecond: number }): Promise<LoadResult> {
  const url = new URL(opts.url);
  const agents = Array.from({ length: opts.connections }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const get = (agent: http.Agent) =>
    new Promise<void>((resolve, reject) => {
      const req = http.get({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers: opts.headers, agent }, (res) => {
        // Read the whole answer, as a client would, without keeping it.
        res.on('data', () => undefined);
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  try {
    return await runLoad(
      agents.map((agent) => () => get(agent)),
      opts.seconds,
      opts.ratePerSecond,
    );
  } finally {
    for (const a of agents) a.destroy();
  }
}

/**
 * The same statements straight to PostgreSQL: `connections` clients, in a closed loop or at a
 * steady overall rate (as httpLoadAtRate), each statement prepared once per connection (named),
 * rows parsed by pg as the server's driver does.
 */
export async function sqlLoad(opts: {
  databaseUrl: string;
  statements: CapturedStatement[];
  connections: number;
  seconds: number;
  ratePerSecond?: number;
}): Promise<LoadResult & { prepared: boolean; warmupRequests: number }> {
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
  const senders = clients.map((c) => async () => {
    for (const q of queries) await c.query(q);
  });
  try {
    // Warm: prepared plans cached, buffers hot, as for the HTTP run's warm-up. Its requests are
    // reported apart: a CPU meter around the whole call saw them too.
    const warmup = await runLoad(senders, 1, opts.ratePerSecond);
    return { ...(await runLoad(senders, opts.seconds, opts.ratePerSecond)), prepared, warmupRequests: warmup.requests };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/**
 * One sender per connection, each running its requests one after the other for `seconds`: as
 * fast as answers come (closed loop), or on an evenly spaced schedule of its own, the
 * connections' schedules interleaved (open loop, latency counted from when a request was due).
 */
async function runLoad(senders: ReadonlyArray<() => Promise<void>>, seconds: number, ratePerSecond?: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const interval = ratePerSecond ? (1000 * senders.length) / ratePerSecond : 0;
  await Promise.all(
    senders.map(async (send, ci) => {
      let due = start + (interval * ci) / senders.length;
      while (performance.now() < end) {
        // Timers may fire a little early: wait until the request is really due.
        for (let wait = due - performance.now(); interval > 0 && wait > 0; wait = due - performance.now()) await sleep(wait);
        const t = interval > 0 ? due : performance.now();
        due += interval;
        try {
          await send();
          latencies.push(performance.now() - t);
        } catch {
          failures++;
        }
      }
    }),
  );
  const durationS = (performance.now() - start) / 1000;
  return { samples: latencies, latency: summarize(latencies), requestsPerSecond: round(latencies.length / durationS, 1), requests: latencies.length, failures, durationS: round(durationS) };
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
