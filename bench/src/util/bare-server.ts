import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from '@calsync/server/test/support/server-process.ts';
import type { BareListSetup } from '../bare-list-server.ts';
import type { CapturedStatement } from '../list-query.ts';

const ENTRY = fileURLToPath(new URL('../bare-list-server.ts', import.meta.url));

/**
 * Starts bare-list-server.ts as the server is started (the start script's node flags and
 * settings, the same readiness line, timeouts and stop), serving the page of `statement` (its
 * prepared form).
 */
export function startBareListServer(opts: { databaseUrl: string; statement: CapturedStatement; limit: number; connections: number }): Promise<ServerProcess> {
  const { text, values } = opts.statement;
  if (text === undefined) throw new Error('the bare list server needs the statement in its prepared form');
  const setup: BareListSetup = { databaseUrl: opts.databaseUrl, text, values, limit: opts.limit, connections: opts.connections };
  return startServerProcess({ BARE_LIST_SETUP: JSON.stringify(setup) }, { entry: ENTRY });
}
