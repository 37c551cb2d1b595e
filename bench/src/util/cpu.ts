import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** CPU time (user + system, seconds) a process has used so far, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces), 1-based from `state` (field 3).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU time of a phase in three places: a server process, this process (the emulator answering
 * Google's calls runs here) and PostgreSQL's backends of the bench's database (when the server
 * runs on this machine; 0 when it does not). On a shared machine wall time waits for the CPU;
 * CPU seconds per event are the steadier comparison.
 */
export async function cpuMeter(sql: pg.Pool, databaseUrl: string, serverPid: number): Promise<{ stop(): Promise<{ serverS: number; benchS: number; postgresS: number }> }> {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const backends = async (): Promise<Map<number, number>> => {
    const rows = await sql.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
    const out = new Map<number, number>();
    for (const { pid } of rows.rows) {
      try {
        out.set(pid, processCpuSeconds(pid));
      } catch {
        // Not on this machine, or gone.
      }
    }
    return out;
  };
  const server0 = processCpuSeconds(serverPid);
  const bench0 = process.cpuUsage();
  const pg0 = await backends();
  return {
    async stop() {
      const server = processCpuSeconds(serverPid) - server0;
      const bench = process.cpuUsage(bench0);
      const pg1 = await backends();
      let postgres = 0;
      // Backends that started during the phase count from zero.
      for (const [pid, s] of pg1) postgres += s - (pg0.get(pid) ?? 0);
      const r = (n: number) => Math.round(n * 100) / 100;
      return { serverS: r(server), benchS: r((bench.user + bench.system) / 1e6), postgresS: r(postgres) };
    },
  };
}
