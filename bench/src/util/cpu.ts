import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** A process's /proc stat fields after the command name (which may hold spaces), or undefined once it is gone. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux): utime and stime. */
export function cpuSeconds(pid: number): number {
  const f = procStat(pid);
  return f ? (Number(f[11]) + Number(f[12])) / CLOCK_TICKS : 0;
}
/**
 * CPU seconds of a process's children that have exited and been reaped (cutime + cstime): for the
 * postmaster, the backends that came and went.
 */
function reapedChildrenCpuSeconds(pid: number): number {
  const f = procStat(pid);
  return f ? (Number(f[13]) + Number(f[14])) / CLOCK_TICKS : 0;
}
/** The parent of a process (for a backend: the postmaster), or undefined. */
function parentPid(pid: number): number | undefined {
  const f = procStat(pid);
  return f ? Number(f[1]) : undefined;
}
/** USER_HZ: 100 on every Linux the bench runs on. */
const CLOCK_TICKS = 100;

export interface CpuMeter {
  /** CPU seconds since the meter started: the server process, this process (emulator and load), and the database's backends serving our database. */
  stop(): Promise<{ serverS: number; benchS: number; postgresS: number; wallS: number }>;
}

/**
 * Where a phase's CPU went. PostgreSQL is counted over the backends connected to `database` (seen
 * at the start and the end) and, when PostgreSQL runs on this machine, the backends that exited in
 * between (the postmaster's reaped children: of any database, so a busy neighbour adds to it).
 */
export async function cpuMeter(opts: { serverPid: number; sql: pg.Pool; databaseUrl: string }): Promise<CpuMeter> {
  const database = decodeURIComponent(new URL(opts.databaseUrl).pathname.slice(1));
  const backends = async () =>
    (await opts.sql.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database])).rows.map((r) => r.pid);
  const startPids = await backends();
  const pgStart = new Map(startPids.map((pid) => [pid, cpuSeconds(pid)]));
  const postmaster = startPids.map(parentPid).find((pid) => pid !== undefined && pid > 1);
  const reapedStart = postmaster === undefined ? 0 : reapedChildrenCpuSeconds(postmaster);
  const serverStart = cpuSeconds(opts.serverPid);
  const benchStart = process.cpuUsage();
  const wallStart = performance.now();
  return {
    async stop() {
      const wallS = (performance.now() - wallStart) / 1000;
      const bench = process.cpuUsage(benchStart);
      const serverS = cpuSeconds(opts.serverPid) - serverStart;
      let postgresS = 0;
      for (const pid of new Set([...startPids, ...(await backends())])) postgresS += cpuSeconds(pid) - (pgStart.get(pid) ?? 0);
      if (postmaster !== undefined) postgresS += reapedChildrenCpuSeconds(postmaster) - reapedStart;
      const r = (v: number) => Math.round(v * 100) / 100;
      return { serverS: r(serverS), benchS: r((bench.user + bench.system) / 1e6), postgresS: r(postgresS), wallS: r(wallS) };
    },
  };
}
