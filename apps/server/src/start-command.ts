import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The server package's directory: where `pnpm start` runs its start script. */
export const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * `node <flags> <entry>` of the start script, everything after `node`: the one place the server's
 * node flags (heap sizing, --expose-gc) are written. Tests and the bench that start the server as
 * its own process use it, so they run exactly what `pnpm start` runs.
 */
export function startCommandArgs(): string[] {
  const packageJson = fileURLToPath(new URL('../package.json', import.meta.url));
  const script = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: { start?: string } }).scripts?.start ?? '';
  const [command, ...args] = script.trim().split(/\s+/);
  if (command !== 'node' || args.length === 0) throw new Error(`${packageJson}: the start script must be \`node <flags> <entry>\`, not \`${script}\``);
  return args;
}
