import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SERVER_DIR, startCommandArgs, startCommandEnv } from '../../src/start-command.ts';

// No vitest here: the bench starts its server processes with this module too.

export interface ServerProcess {
  url: string;
  pid: number;
  /** The last ~20 KB the process wrote (JSON lines): the end of a run, or why it failed. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null after a kill); SIGKILL if it hangs. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServerProcessOptions {
  /** Runs the server with --cpu-prof, writing its profile here when it exits (the bench's --profile). */
  cpuProfileDir?: string | undefined;
  startTimeoutMs?: number;
  /**
   * Another entry run with the start script's flags and settings instead of the server's (the
   * bench's floor); it must log the same listening line, with its `url`.
   */
  entry?: string;
}

/** What main.ts logs once startApp has resolved: the server is listening and ready. */
const LISTENING = '"calendar service listening"';
const OUTPUT_TAIL_BYTES = 20_000;
// The server's own bound is its grace period plus 30 s; beyond that it is stuck.
const STOP_TIMEOUT_MS = 45_000;
const QUIET_LEVELS = new Set(['silent', 'fatal', 'error', 'warn']);

/**
 * Starts the server as its own OS process, exactly as `pnpm start` runs it (its start script's
 * node flags, src/main.ts -> loadConfig -> startApp), with the given env. Its memory can be read
 * from /proc without the caller's heap in it, and it can be killed mid-work.
 *
 * It listens on a port the kernel picks (PORT 0) and is ready when it logs its URL: no port is
 * probed and then handed over, so nothing else can take it in between.
 */
export async function startServerProcess(env: Record<string, string>, opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  // The start script's own settings apply over the given env, as the shell applies them over the inherited one.
  const fullEnv = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', PORT: '0', LOG_LEVEL: 'info', ...env, ...startCommandEnv() };
  if (QUIET_LEVELS.has(fullEnv.LOG_LEVEL)) throw new Error(`LOG_LEVEL ${fullEnv.LOG_LEVEL}: the server's address is read from its info line ${LISTENING}`);
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  // --cpu-prof writes the profile when the process exits normally (SIGTERM: the server exits 0).
  const profile = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const args = startCommandArgs();
  if (opts.entry !== undefined) args.splice(-1, 1, opts.entry);
  const child = spawn(process.execPath, [...profile, ...args], { cwd: SERVER_DIR, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });

  // The tail is kept as chunks: at a few hundred request lines a second (the bench), copying a
  // 20 KB string per line took CPU from the load being measured.
  const tail: Buffer[] = [];
  let tailBytes = 0;
  const keep = (b: Buffer) => {
    tail.push(b);
    tailBytes += b.length;
    while (tail.length > 1 && tailBytes - (tail[0]?.length ?? 0) >= OUTPUT_TAIL_BYTES) tailBytes -= tail.shift()?.length ?? 0;
  };
  const output = () => Buffer.concat(tail).toString().slice(-OUTPUT_TAIL_BYTES);
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );

  const url = await listeningUrl(child, startTimeoutMs, output);
  if (child.pid === undefined) throw new Error('server process has no pid');

  return {
    url,
    pid: child.pid,
    output,
    async stop(signal = 'SIGTERM') {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The URL from the server's listening line; rejects when it exits first or takes too long (and kills it). */
function listeningUrl(child: ChildProcessByStdio<null, Readable, Readable>, timeoutMs: number, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Lines are read only until the listening one; a chunk may end mid-line (or mid-character).
    const decoder = new StringDecoder('utf8');
    let partial = '';
    const onData = (b: Buffer) => {
      const lines = (partial + decoder.write(b)).split('\n');
      partial = lines.pop() ?? '';
      const line = lines.find((l) => l.includes(LISTENING));
      if (line) settle(() => resolve((JSON.parse(line) as { url: string }).url));
    };
    // 'close', not 'exit': by then everything the process wrote is in the output.
    const onClose = (code: number | null) => settle(() => reject(new Error(`server exited (${code}) before it was ready:\n${output()}`)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`server not ready after ${timeoutMs / 1000} s:\n${output()}`)));
    }, timeoutMs);
    function settle(outcome: () => void) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('close', onClose);
      outcome();
    }
    child.stdout.on('data', onData);
    child.once('close', onClose);
  });
}
