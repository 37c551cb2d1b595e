import type { CalendarClient } from '@calsync/client';
import type { RunningEmulator, ServiceAccountKey } from '@calsync/google-calendar-emulator';
import { startBackingServices } from '@calsync/server/test/support/backing-services.ts';
import { clientFor } from '@calsync/server/test/support/client.ts';
import { startServerProcess, type ServerProcess } from '@calsync/server/test/support/server-process.ts';
import pg from 'pg';

/** A server process with the typed client and a token for it. */
export interface BenchServer {
  url: string;
  pid: number;
  token: string;
  client: CalendarClient;
  process: ServerProcess;
}

/**
 * What every scenario runs against: a fresh PostgreSQL database (DATABASE_URL's server if set,
 * else an embedded one), the Google emulator over HTTP in this process, and server processes
 * started from the same environment `pnpm start` reads. The end-to-end tests' starters, with the
 * bench's environment on top.
 */
export interface BenchSystem {
  databaseUrl: string;
  emulator: RunningEmulator;
  key: ServiceAccountKey;
  calendarId: string;
  /** Two connections for the bench's own reads and writes (seeding, polling rows). */
  sql: pg.Pool;
  /** `env` is added to (and overrides) the bench's environment, e.g. another database or delegation mode. */
  startServer(env?: Record<string, string>): Promise<BenchServer>;
  close(): Promise<void>;
}

const BENCH_ENV: Record<string, string> = {
  // What production runs: a line per request at info (the bench keeps the tail for failures).
  LOG_LEVEL: 'info',
  // Rate limits on, as in production (each request counts in PostgreSQL), high enough that
  // one user hammering one calendar is never refused; the webhook's limit is the default.
  RATE_LIMIT_API_PER_MINUTE: '1000000',
  GOOGLE_MAX_REQUESTS_PER_MINUTE: '1000000',
  METRICS_TOKEN: 'bench-metrics-token-0123456789',
  // A web-only process: scheduled jobs would add work the measurements do not ask for.
  JOBS_ENABLED: 'false',
};
// Longer than the longest full run: a token expiring mid-run would turn into refused requests.
const TOKEN_LIFETIME = '2h';
const START_TIMEOUT_MS = 60_000;

export async function startBenchSystem(opts: { cpuProfileDir?: string | undefined } = {}): Promise<BenchSystem> {
  const backing = await startBackingServices({ env: BENCH_ENV });
  const servers = new Set<ServerProcess>();
  const sql = new pg.Pool({ connectionString: backing.db.url, max: 2 });
  return {
    databaseUrl: backing.db.url,
    emulator: backing.emulator,
    key: backing.key,
    calendarId: backing.calendarId,
    sql,
    async startServer(env = {}) {
      const proc = await startServerProcess({ ...backing.env, ...env }, { cpuProfileDir: opts.cpuProfileDir, startTimeoutMs: START_TIMEOUT_MS });
      servers.add(proc);
      const { token, client } = await clientFor(proc.url, 'bench-user', { expiresIn: TOKEN_LIFETIME });
      return {
        url: proc.url,
        pid: proc.pid,
        token,
        client,
        process: {
          ...proc,
          async stop(signal) {
            servers.delete(proc);
            return proc.stop(signal);
          },
        },
      };
    },
    async close() {
      for (const s of servers) await s.stop();
      await sql.end();
      await backing.close();
    },
  };
}
