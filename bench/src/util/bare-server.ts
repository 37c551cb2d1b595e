import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVER_DIR, startCommand } from '@calsync/server/src/start-command.ts';
import type { CapturedStatement } from '../list-query.ts';

export interface BareListServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('../bare-list-server.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Starts bare-list-server.ts as its own process, with the server's node flags and process
 * settings (the start script's) and the same small environment the bench gives the server,
 * serving the page of `statement` (its prepared form). The child exits when its stdin closes, so
 * it never outlives the bench.
 */
export async function startBareListServer(opts: { databaseUrl: string; statement: CapturedStatement; limit: number; connections: number }): Promise<BareListServer> {
  if (opts.statement.text === undefined) throw new Error('the bare list server needs the statement in its prepared form');
  const { env, args } = startCommand();
  // The start script's flags, its entry replaced by the bare server's.
  const flags = args.slice(0, -1);
  const child = spawn(process.execPath, [...flags, ENTRY], {
    cwd: SERVER_DIR,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  // The setup as one line; stdin stays open: its end tells the child to exit.
  child.stdin.write(`${JSON.stringify({ databaseUrl: opts.databaseUrl, text: opts.statement.text, values: opts.statement.values, limit: opts.limit, connections: opts.connections })}\n`);

  const stop = async () => {
    if (gone) return;
    child.stdin.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bare list server did not listen within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      void exited.then(() => reject(new Error(`the bare list server exited (${child.exitCode ?? child.signalCode}) before listening`)));
    });
    if (child.pid === undefined) throw new Error('the bare list server has no pid');
    return { url: `http://127.0.0.1:${port}/`, pid: child.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
