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

/**
 * Starts bare-list-server.ts as its own process, with the server's node flags and process
 * settings (the start script's), serving the page of `statement` (its prepared form).
 */
export async function startBareListServer(opts: { databaseUrl: string; statement: CapturedStatement; limit: number; connections: number }): Promise<BareListServer> {
  if (opts.statement.text === undefined) throw new Error('the bare list server needs the statement in its prepared form');
  const { env, args } = startCommand();
  // The start script's flags, its entry replaced by the bare server's.
  const flags = args.slice(0, -1);
  const child = spawn(process.execPath, [...flags, ENTRY], { cwd: SERVER_DIR, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify({ databaseUrl: opts.databaseUrl, text: opts.statement.text, values: opts.statement.values, limit: opts.limit, connections: opts.connections }));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the bare list server exited (${code}) before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
