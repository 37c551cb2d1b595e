import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { SERVER_DIR, startCommandArgs } from '@calsync/server/src/start-command.ts';
import { sleep } from './time.ts';

export interface ServerProcess {
  url: string;
  pid: number;
  /** What the process wrote (warnings and errors at the bench's log level): shown when something fails. */
  output(): string;
  stop(): Promise<number | null>;
}

// The server's own package, spawned exactly as `pnpm start` runs it (its start script's node
// flags, src/main.ts -> loadConfig -> startApp).
const START_TIMEOUT_MS = 60_000;

/**
 * The server as its own OS process: its memory can be read from /proc without the bench's own
 * heap in it, and it gets a core of its own instead of sharing an event loop with the load generator.
 */
export async function startServerProcess(env: Record<string, string>, opts: { cpuProfileDir?: string | undefined } = {}): Promise<ServerProcess> {
  const port = await freePort();
  // --cpu-prof writes the profile when the process exits normally (stop() sends SIGTERM, the server exits 0).
  const profile = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, ...startCommandArgs()], {
    cwd: SERVER_DIR,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last ~20 KB of output, kept as chunks: at a few hundred request lines a second, copying a
  // 20 KB string per line took CPU from the load being measured.
  const tail: Buffer[] = [];
  let tailBytes = 0;
  const keep = (b: Buffer) => {
    tail.push(b);
    tailBytes += b.length;
    while (tail.length > 1 && tailBytes - (tail[0]?.length ?? 0) >= 20_000) tailBytes -= tail.shift()?.length ?? 0;
  };
  const output = () => Buffer.concat(tail).toString().slice(-20_000);
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;

  // The server listens before it is ready and answers 503 until then: ready = /health says 200.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`server exited (${exitCode}) before it was ready:\n${output()}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${START_TIMEOUT_MS / 1000} s:\n${output()}`);
    }
    await sleep(50);
  }
  if (child.pid === undefined) throw new Error('server process has no pid');

  return {
    url,
    pid: child.pid,
    output,
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
