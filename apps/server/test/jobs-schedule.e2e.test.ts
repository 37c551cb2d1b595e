import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServerProcess } from './support/server-process.ts';
import { useBackingServices } from './support/system.ts';

// The schedule itself: stored in PostgreSQL, it survives restarts, and with several processes on
// one database each run happens once.
const backing = useBackingServices();
let sql: pg.Pool;
let env: Record<string, string>;

beforeAll(() => {
  sql = new pg.Pool({ connectionString: backing.db.url, max: 2 });
  env = { ...backing.env, JOBS_ENABLED: 'true', JOBS_PROCESS_EVERY: '100ms' };
});

afterAll(async () => {
  await sql?.end();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function starts(job: string): Promise<Array<{ at: Date; by: string }>> {
  const r = await sql.query<{ timestamp: Date; agenda_name: string }>(
    `select timestamp, agenda_name from agenda_logs where job_name = $1 and event = 'start' order by timestamp`,
    [job],
  );
  return r.rows.map((row) => ({ at: row.timestamp, by: row.agenda_name }));
}

async function schedule(): Promise<Record<string, string>> {
  const r = await sql.query<{ name: string; next_run_at: Date }>(`select name, next_run_at from agenda_jobs where repeat_interval is not null order by name`);
  return Object.fromEntries(r.rows.map((row) => [row.name, row.next_run_at.toISOString()]));
}

it('keeps the schedule across a restart and runs nothing twice', async () => {
  const logger = createLogger({ level: 'silent' });
  const first = await startApp(loadConfig({ ...env, PORT: '0' }), logger);
  // First start ever: each job runs once right away, then waits for its interval.
  for (const job of ['renew-channels', 'reconcile', 'cleanup']) {
    for (let i = 0; (await starts(job)).length === 0 && i < 100; i++) await sleep(50);
  }
  await sleep(500);
  const before = await schedule();
  expect(Object.keys(before)).toEqual(['cleanup', 'reconcile', 'renew-channels']);
  for (const t of Object.values(before)) expect(new Date(t).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
  await first.close();

  const second = await startApp(loadConfig({ ...env, PORT: '0' }), logger);
  await sleep(1500);
  expect(await schedule()).toEqual(before);
  for (const job of ['renew-channels', 'reconcile', 'cleanup']) expect(await starts(job)).toHaveLength(1);
  await second.close();
}, 60_000);

it('with two server processes, each run of a job happens once, never two at a time', async () => {
  const fast = { ...env, JOB_RECONCILE_EVERY: '1 second' };
  const servers = await Promise.all([startServerProcess(fast), startServerProcess(fast)]);
  try {
    const t0 = Date.now();
    await sleep(5000);
    const runs = (await starts('reconcile')).filter((s) => s.at.getTime() >= t0);
    // About one per second over five seconds, whoever picked it up.
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < runs.length; i++) {
      const gap = (runs[i]?.at.getTime() ?? 0) - (runs[i - 1]?.at.getTime() ?? 0);
      expect(gap).toBeGreaterThan(800);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}, 60_000);
