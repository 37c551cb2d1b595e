import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { round, summarize, type Summary } from './stats.ts';

const run = promisify(execFile);

/** `pgbench` when PostgreSQL's client tools are on the PATH (execFile searches it), else undefined. */
export async function findPgbench(): Promise<string | undefined> {
  try {
    await run('pgbench', ['--version']);
    return 'pgbench';
  } catch {
    return undefined;
  }
}

/**
 * The same SQL from pgbench, PostgreSQL's own load generator in C (no JavaScript, no garbage
 * collector, no row objects): `connections` clients in a closed loop, each statement prepared
 * once. Latencies come from its per-transaction log.
 */
export async function pgbenchLoad(opts: {
  pgbench: string;
  databaseUrl: string;
  sql: string[];
  connections: number;
  seconds: number;
  /** Open loop at this overall rate (`-R`): latency then counts from when a transaction was due. */
  ratePerSecond?: number;
}): Promise<{ latency: Summary; requests: number; requestsPerSecond: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'calsync-pgbench-'));
  try {
    const script = join(dir, 'list.sql');
    await writeFile(script, opts.sql.map((s) => `${s.replace(/\s+/g, ' ').trim()};\n`).join(''));
    await run(
      opts.pgbench,
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        String(opts.connections),
        '-j',
        String(opts.connections),
        '-T',
        String(opts.seconds),
        ...(opts.ratePerSecond ? ['-R', String(opts.ratePerSecond)] : []),
        '-f',
        script,
        '--log',
        `--log-prefix=${join(dir, 'tx')}`,
        opts.databaseUrl,
      ],
      { cwd: dir, maxBuffer: 1 << 20 },
    );
    const latencies: number[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.startsWith('tx'))) {
      // client_id transaction_no time_us script_no epoch epoch_us [schedule_lag_us]
      for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
        const fields = line.split(' ');
        const us = Number(fields[2]);
        if (fields.length >= 6 && Number.isFinite(us)) latencies.push(us / 1000);
      }
    }
    if (latencies.length === 0) throw new Error('pgbench logged no transactions');
    return { latency: summarize(latencies), requests: latencies.length, requestsPerSecond: round(latencies.length / opts.seconds, 1) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
