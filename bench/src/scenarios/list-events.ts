import superjson from 'superjson';
import { ListQueryProbe, type CapturedStatement } from '../list-query.ts';
import type { Sizes } from '../modes.ts';
import { info, result, type Result } from '../report.ts';
import { middleWeek, seedEvents } from '../seed.ts';
import type { BenchServer, BenchSystem } from '../system.ts';
import { cpuMeter } from '../util/cpu.ts';
import { startBareListServer } from '../util/bare-server.ts';
import { explain, type Plan } from '../util/explain.ts';
import { httpLoad, httpLoadAtRate, pooled, sqlLoad, type LoadResult } from '../util/load.ts';
import { measureHiccups } from '../util/hiccups.ts';
import { findPgbench, pgbenchLoad } from '../util/pgbench.ts';
import { round } from '../util/stats.ts';

type PgbenchResult = Awaited<ReturnType<typeof pgbenchLoad>>;

const PAGE = 250;
const CONNECTIONS = 2;
/** "A later page": deep enough that a keyset that degrades with depth would show it. */
const LATER_PAGE = 10;
/** The open-loop rate issue 16 measures at (requests per second). */
const RATE = 132;

/**
 * listEvents of a week in the middle of a 3-year calendar: tRPC over HTTP (the real server, a
 * fixed GET as a calendar view sends it) against the same SQL sent straight to PostgreSQL.
 */
export async function listEventsScenario(system: BenchSystem, server: BenchServer, sizes: Sizes, log: (m: string) => void): Promise<Result[]> {
  const seedStarted = performance.now();
  await seedEvents(system.sql, system.calendarId, sizes.listRows, (done) => log(`  seeded ${done.toLocaleString('en-US')} rows`));
  const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
  const week = middleWeek();
  const input = { timeMin: week.timeMin, timeMax: week.timeMax, limit: PAGE };

  const probe = await ListQueryProbe.open({
    databaseUrl: system.databaseUrl,
    calendarId: system.calendarId,
    key: system.key,
    emulatorUrl: system.emulator.url,
    impersonateUser: system.calendarId,
  });
  let first: CapturedStatement[];
  let later: { page: number; statements: CapturedStatement[] };
  let rowsInWindow: number;
  let firstPageItems: number;
  try {
    const captured = await probe.capture(input);
    first = captured.statements;
    firstPageItems = captured.page.count;
    later = { page: 1, statements: first };
    rowsInWindow = captured.page.count;
    let cursor = captured.page.nextCursor;
    for (let page = 2; cursor; page++) {
      const next = await probe.capture({ ...input, cursor });
      if (page <= LATER_PAGE) later = { page, statements: next.statements };
      rowsInWindow += next.page.count;
      cursor = next.page.nextCursor;
    }
  } finally {
    await probe.close();
  }
  if (first.length === 0) throw new Error('listEvents sent no SQL: nothing to compare with');

  const plans = {
    firstPage: await explainAll(system, first),
    [`page${later.page}`]: await explainAll(system, later.statements),
  };
  const planTop = Object.entries(plans).flatMap(([name, statementPlans]) =>
    statementPlans.flatMap((p, i) => [`${name}${statementPlans.length > 1 ? ` statement ${i + 1}` : ''}: execution ${p.executionMs} ms`, ...p.top.map((l) => `  ${l}`)]),
  );

  const url = `${server.url}/trpc/calendar.listEvents?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
  const headers = { authorization: `Bearer ${server.token}` };
  await checkResponse(url, headers, firstPageItems);

  // The machine's own stalls, measured while it is otherwise idle (see measureHiccups).
  log(`  machine stalls: a spinning thread for ${sizes.hiccupSeconds} s`);
  const hiccups = await measureHiccups(sizes.hiccupSeconds);

  // Alternating rounds: both loads see the same machine (see pooled()).
  // The floor: a bare Node HTTP server sending the same bytes from the same SQL through pg, and
  // nothing else (see bare-list-server.ts). Checked to answer exactly what the service answers.
  const bare = first.length === 1 && first[0]?.text !== undefined ? await startBareListServer({ databaseUrl: system.databaseUrl, statement: first[0], limit: PAGE, connections: CONNECTIONS }) : undefined;
  const roundSeconds = Math.ceil(sizes.listSeconds / sizes.listRounds);
  const httpRounds = [];
  const bareRounds = [];
  const sqlRounds = [];
  // Where each side's CPU goes (server, PostgreSQL, this process: the load generator).
  const httpCpu = new CpuPerRequest();
  const bareCpu = new CpuPerRequest();
  const sqlCpu = new CpuPerRequest();
  let httpAtRate: LoadResult;
  let floorAtRate: LoadResult | undefined;
  let sqlAtRate: LoadResult;
  try {
    if (bare) await checkSameBody(url, headers, bare.url);
    log(`  tRPC over HTTP, ${bare ? 'the bare Node floor, ' : ''}raw SQL, ${CONNECTIONS} connections each: ${sizes.listRounds} alternating rounds of ${roundSeconds} s`);
    await httpLoad({ url, headers, connections: CONNECTIONS, seconds: 1 });
    if (bare) await httpLoad({ url: bare.url, headers: {}, connections: CONNECTIONS, seconds: 1 });
    const meter = (serverPid: number) => cpuMeter({ serverPid, sql: system.sql, databaseUrl: system.databaseUrl });
    for (let round = 0; round < sizes.listRounds; round++) {
      let m = await meter(server.pid);
      const h = await httpLoad({ url, headers, connections: CONNECTIONS, seconds: roundSeconds });
      httpCpu.add(await m.stop(), h.requests);
      httpRounds.push(h);
      if (bare) {
        m = await meter(bare.pid);
        const b = await httpLoad({ url: bare.url, headers: {}, connections: CONNECTIONS, seconds: roundSeconds });
        bareCpu.add(await m.stop(), b.requests);
        bareRounds.push(b);
      }
      m = await meter(server.pid);
      const s = await sqlLoad({ databaseUrl: system.databaseUrl, statements: first, connections: CONNECTIONS, seconds: roundSeconds });
      sqlCpu.add(await m.stop(), s.requests + s.warmupRequests);
      sqlRounds.push(s);
    }
    // The same at a steady rate (open loop): the latency of a service that is not queueing
    // behind itself, at the rate issue 16 names (half the saturated rate before it).
    log(`  tRPC over HTTP, ${bare ? 'the floor, ' : ''}raw SQL at ${RATE} requests/s: ${sizes.listSeconds} s each`);
    httpAtRate = summaryOf(await httpLoadAtRate({ url, headers, connections: CONNECTIONS, seconds: sizes.listSeconds, ratePerSecond: RATE }));
    if (bare) floorAtRate = summaryOf(await httpLoadAtRate({ url: bare.url, headers: {}, connections: CONNECTIONS, seconds: sizes.listSeconds, ratePerSecond: RATE }));
    sqlAtRate = summaryOf(await sqlLoad({ databaseUrl: system.databaseUrl, statements: first, connections: CONNECTIONS, seconds: sizes.listSeconds, ratePerSecond: RATE }));
  } finally {
    await bare?.stop();
  }
  const http = pooled(httpRounds);
  const sql = pooled(sqlRounds);
  const floor = bareRounds.length > 0 ? pooled(bareRounds) : undefined;
  const rate = RATE;
  // The same SQL once more from pgbench (C, no garbage collector), when it is installed,
  // saturated and at the rate: what PostgreSQL and the machine do without any JavaScript in the
  // way. At a rate, pgbench's own tail is long here: a 235 kB answer on a loopback connection
  // that was idle is paced by BBR (docs/performance.md), and the HTTP answer makes two such trips.
  const pgbench = await findPgbench();
  let pgbenchSaturated: PgbenchResult | undefined;
  let pgbenchAtRate: PgbenchResult | undefined;
  if (pgbench) {
    const sqlText = first.map((s) => s.inlined);
    log(`  same SQL from pgbench, saturated and at ${rate} requests/s: ${sizes.listSeconds} s each`);
    pgbenchSaturated = await pgbenchLoad({ pgbench, databaseUrl: system.databaseUrl, sql: sqlText, connections: CONNECTIONS, seconds: sizes.listSeconds });
    pgbenchAtRate = await pgbenchLoad({ pgbench, databaseUrl: system.databaseUrl, sql: sqlText, connections: CONNECTIONS, seconds: sizes.listSeconds, ratePerSecond: rate });
  }
  const floorLoads = [...(floor ? [['the floor', floor] as const] : []), ...(floorAtRate ? [['the floor at rate', floorAtRate] as const] : [])];
  for (const [name, r] of [['HTTP', http], ['SQL', sql], ['HTTP at rate', httpAtRate], ['SQL at rate', sqlAtRate], ...floorLoads] as const) {
    if (r.failures > 0) throw new Error(`list load had failures: ${name} ${r.failures}`);
  }

  const dataset = { rows: sizes.listRows, seedSeconds, window: { timeMin: week.timeMin.toISOString(), timeMax: week.timeMax.toISOString() }, rowsInWindow, pageSize: PAGE };
  const details = { dataset, http, sql, planTop, plans, statements: first.map((s) => ({ inlined: s.inlined, prepared: s.text ?? null })) };
  // At the rate: 10 ms, or within 1.5x of pgbench at the same rate (issue 16).
  const rateBound = pgbenchAtRate ? Math.max(10, round(1.5 * pgbenchAtRate.latency.p99, 1)) : 10;
  return [
    result('listEvents p99 (tRPC over HTTP, saturated)', http.latency.p99, 'ms', { op: '<=', value: 10 }, { ...details, sqlP99Ms: sql.latency.p99 }),
    info('  same SQL via pg, p99 (saturated)', sql.latency.p99, 'ms'),
    ...(pgbenchSaturated
      ? [
          info('  same SQL via pgbench (C), p99 (saturated)', pgbenchSaturated.latency.p99, 'ms', { ...pgbenchSaturated }),
          result('listEvents p99 ratio tRPC / pgbench (saturated)', round(http.latency.p99 / pgbenchSaturated.latency.p99, 2), 'x', { op: '<=', value: 2 }, { httpP99Ms: http.latency.p99, pgbenchP99Ms: pgbenchSaturated.latency.p99 }),
        ]
      : []),
    result(`listEvents p99 (tRPC over HTTP, ${rate} req/s)`, httpAtRate.latency.p99, 'ms', { op: '<=', value: rateBound }, { ratePerSecond: rate, http: httpAtRate, sql: sqlAtRate, pgbench: pgbenchAtRate ?? null, bound: '10 ms or 1.5x pgbench at the rate' }),
    ...(floorAtRate ? [info(`  the floor (bare Node HTTP + pg), p99 (${rate} req/s)`, floorAtRate.latency.p99, 'ms', { ...floorAtRate })] : []),
    info(`  same SQL via pg, p99 (${rate} req/s)`, sqlAtRate.latency.p99, 'ms'),
    ...(pgbenchAtRate ? [info(`  same SQL via pgbench (C), p99 (${rate} req/s)`, pgbenchAtRate.latency.p99, 'ms', { ...pgbenchAtRate })] : []),
    info('  machine: a busy thread stalled > 5 ms (idle VM)', hiccups.over5msPerS, `/s, max ${hiccups.maxMs} ms`, { ...hiccups }),
    result('listEvents p99 ratio tRPC / raw SQL', round(http.latency.p99 / sql.latency.p99, 2), 'x', { op: '<=', value: 2 }, {
      httpP99Ms: http.latency.p99,
      sqlP99Ms: sql.latency.p99,
      httpP50Ms: http.latency.p50,
      sqlP50Ms: sql.latency.p50,
    }),
    result('listEvents throughput tRPC / raw SQL', round((100 * http.requestsPerSecond) / sql.requestsPerSecond, 1), '%', { op: '>=', value: 80 }, {
      httpRequestsPerSecond: http.requestsPerSecond,
      sqlRequestsPerSecond: sql.requestsPerSecond,
    }),
    info('  tRPC / raw SQL requests per second', http.requestsPerSecond, `/ ${sql.requestsPerSecond}`),
    ...(floor
      ? [
          info('  the floor: bare Node HTTP + pg, same SQL and bytes, no auth/limits/logging (req/s, p99)', floor.requestsPerSecond, `req/s, p99 ${floor.latency.p99} ms`, { ...floor }),
          info('  throughput, the floor / raw SQL (what Node + pg allow here)', round((100 * floor.requestsPerSecond) / sql.requestsPerSecond, 1), '%'),
          info('  throughput, tRPC / the floor', round((100 * http.requestsPerSecond) / floor.requestsPerSecond, 1), '%'),
        ]
      : []),
    cpuRow('  CPU ms per request, tRPC: server / PostgreSQL / load generator', httpCpu),
    ...(floor ? [cpuRow('  CPU ms per request, the floor: server / PostgreSQL / load generator', bareCpu)] : []),
    cpuRow('  CPU ms per request, raw SQL: server / PostgreSQL / load generator', sqlCpu),
  ];
}

/** A load's result without its samples (every latency): the report keeps the summary. */
function summaryOf<T extends LoadResult>({ samples: _samples, ...summary }: T): Omit<T, 'samples'> {
  return summary;
}

function cpuRow(metric: string, cpu: CpuPerRequest): Result {
  const [server, postgres, bench] = cpu.perRequestMs() as [number, number, number];
  return info(metric, server, `/ ${postgres} / ${bench}`, { ...cpu.totals });
}

/** CPU seconds of the saturated rounds, summed, per request (ms: server, PostgreSQL, load generator). */
class CpuPerRequest {
  readonly totals = { serverS: 0, postgresS: 0, benchS: 0, requests: 0 };
  add(cpu: { serverS: number; postgresS: number; benchS: number }, requests: number): void {
    this.totals.serverS += cpu.serverS;
    this.totals.postgresS += cpu.postgresS;
    this.totals.benchS += cpu.benchS;
    this.totals.requests += requests;
  }
  perRequestMs(): number[] {
    const { serverS, postgresS, benchS, requests } = this.totals;
    return [serverS, postgresS, benchS].map((s) => round((1000 * s) / Math.max(1, requests), 2));
  }
}

async function explainAll(system: BenchSystem, statements: CapturedStatement[]): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const s of statements) plans.push(await explain(system.sql, s.inlined));
  return plans;
}

/** The floor answers exactly what the service answers (else it would not be the same work). */
async function checkSameBody(url: string, headers: Record<string, string>, bareUrl: string): Promise<void> {
  const answer = async (res: Response) => ({ status: res.status, length: res.headers.get('content-length'), body: Buffer.from(await res.arrayBuffer()) });
  const [service, floor] = await Promise.all([fetch(url, { headers }).then(answer), fetch(bareUrl).then(answer)]);
  if (service.status !== 200 || floor.status !== 200 || service.length !== floor.length || !service.body.equals(floor.body)) {
    throw new Error(`the bare list server's answer differs from the service's: ${floor.status} / ${service.status}, ${floor.body.length} / ${service.body.length} bytes (content-length ${floor.length} / ${service.length})`);
  }
}

/** One request before the load: a wrong URL or token would otherwise be measured as fast 4xx answers. */
async function checkResponse(url: string, headers: Record<string, string>, expectedItems: number): Promise<void> {
  const res = await fetch(url, { headers });
  const body = (await res.json()) as { result?: { data?: { json?: { items?: unknown[] } } } };
  const items = body.result?.data?.json?.items?.length;
  if (!res.ok || items !== expectedItems) throw new Error(`listEvents over HTTP answered ${res.status} with ${items} items (expected ${expectedItems}): ${JSON.stringify(body).slice(0, 500)}`);
}
