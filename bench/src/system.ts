import { signToken } from '@calsync/api';
import { createCalendarClient, type CalendarClient } from '@calsync/client';
import { createTestDatabase, type TestDatabase } from '@calsync/db/testing';
import { generateServiceAccountKey, startEmulator, type RunningEmulator, type ServiceAccountKey } from '@calsync/google-calendar-emulator';
import pg from 'pg';
import { startServerProcess, type ServerProcess } from './util/server-process.ts';

const JWT_SECRET = 'bench-jwt-secret-not-for-anything-real-0123456789';
const WEBHOOK_SECRET = 'bench-webhook-secret-not-for-anything-real-0123456789';
/** The Workspace user the service account acts as: the server's calendar is this user's primary one. */
const CALENDAR_USER = 'rep@bench.test';

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
 * started from the same environment `pnpm start` reads.
 */
export interface BenchSystem {
  databaseUrl: string;
  emulator: RunningEmulator;
  key: ServiceAccountKey;
  calendarId: string;
  /** Two connections for the bench's own reads and writes (seeding, polling rows). */
  sql: pg.Pool;
  startServer(): Promise<BenchServer>;
  close(): Promise<void>;
}

export async function startBenchSystem(opts: { cpuProfileDir?: string | undefined } = {}): Promise<BenchSystem> {
  const db: TestDatabase = await createTestDatabase();
  let emulator: RunningEmulator | undefined;
  const servers = new Set<ServerProcess>();
  let sql: pg.Pool | undefined;
  const close = async () => {
    for (const s of servers) await s.stop();
    await sql?.end();
    await emulator?.close();
    await db.drop();
  };
  try {
    emulator = await startEmulator({});
    const key = await generateServiceAccountKey({ clientEmail: 'calsync-bench@calsync.iam.gserviceaccount.com' });
    emulator.registerServiceAccount(key, { domainWideDelegation: true });
    sql = new pg.Pool({ connectionString: db.url, max: 2 });
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      // What production runs: a line per request at info (the bench keeps the tail for failures).
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      AUTH_JWT_SECRET: JWT_SECRET,
      GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(key),
      GOOGLE_API_BASE_URL: emulator.url,
      GOOGLE_IMPERSONATE_USER: CALENDAR_USER,
      WEBHOOK_SECRET,
      // A web-only process: scheduled jobs would add work the measurements do not ask for.
      JOBS_ENABLED: 'false',
      // Rate limits on, as in production (each request counts in PostgreSQL), high enough that
      // one user hammering one calendar is never refused; the webhook's limit is the default.
      RATE_LIMIT_API_PER_MINUTE: '1000000',
      GOOGLE_MAX_REQUESTS_PER_MINUTE: '1000000',
      METRICS_TOKEN: 'bench-metrics-token-0123456789',
    };
    const running = emulator;
    return {
      databaseUrl: db.url,
      emulator: running,
      key,
      calendarId: CALENDAR_USER,
      sql,
      async startServer() {
        const proc = await startServerProcess(env, opts);
        servers.add(proc);
        const token = await signToken(JWT_SECRET, 'bench-user', { expiresIn: '2h' });
        const client = createCalendarClient({ url: `${proc.url}/trpc`, getToken: () => token });
        return {
          url: proc.url,
          pid: proc.pid,
          token,
          client,
          process: {
            ...proc,
            async stop() {
              servers.delete(proc);
              return proc.stop();
            },
          },
        };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
