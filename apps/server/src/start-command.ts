import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The server package's directory: where `pnpm start` runs its start script. */
export const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

/** `NAME=value` before the command, as a shell reads it (no quoting: values are plain words). */
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/;

/**
 * The start script, `[NAME=value ...] node <flags> <entry>`: the environment it sets for the
 * process (process-level settings such as glibc's malloc arenas, read before any JavaScript runs)
 * and everything after `node`. The one place the server's node flags (heap sizing, --expose-gc)
 * and those settings are written. Tests and the bench that start the server as its own process
 * use it, so they run exactly what `pnpm start` runs.
 */
export function startCommand(): { env: Record<string, string>; args: string[] } {
  const packageJson = fileURLToPath(new URL('../package.json', import.meta.url));
  const script = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: { start?: string } }).scripts?.start ?? '';
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let match: RegExpExecArray | null;
  while (words.length > 0 && (match = ASSIGNMENT.exec(words[0] ?? '')) !== null) {
    env[match[1] as string] = match[2] as string;
    words.shift();
  }
  const [command, ...args] = words;
  if (command !== 'node' || args.length === 0) throw new Error(`${packageJson}: the start script must be \`[NAME=value ...] node <flags> <entry>\`, not \`${script}\``);
  return { env, args };
}

/** Everything after `node` in the start script. */
export function startCommandArgs(): string[] {
  return startCommand().args;
}

/** The environment the start script sets (over the one it inherits, as the shell does). */
export function startCommandEnv(): Record<string, string> {
  return startCommand().env;
}
