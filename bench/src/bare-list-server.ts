/**
 * The floor of the list read path on this machine: a bare Node HTTP server that answers every
 * request with the list page, read with the same prepared statement through pg (rows as arrays)
 * and made into the same bytes by the service's own functions (pageTextOf, pageWireJson,
 * joinUtf8, tRPC's envelope), and nothing else: no authentication, rate limit, input, logging,
 * metrics or framework. What it costs per request is what Node's HTTP and pg cost; the service can
 * only be slower. Started by startBareListServer (util/bare-server.ts) as the server is, its setup
 * in BARE_LIST_SETUP (this process's own configuration, read here as main.ts reads the server's).
 */
import http from 'node:http';
import { pageWireJson } from '@calsync/api';
import { joinUtf8, pageTextOf, type JsonRow } from '@calsync/calendar';
import { ENVELOPE } from '@calsync/server/src/http/trpc.ts';
import pg from 'pg';

export interface BareListSetup {
  databaseUrl: string;
  text: string;
  values: unknown[];
  /** The page's size (the statement asks for one more row, to know whether another page exists). */
  limit: number;
  connections: number;
}

const setup = JSON.parse(process.env['BARE_LIST_SETUP'] ?? '') as BareListSetup;
const pool = new pg.Pool({ connectionString: setup.databaseUrl, max: setup.connections });
const statement = { name: 'bare_list', text: setup.text, values: setup.values, rowMode: 'array' as const };
const [head, tail] = ENVELOPE;

async function page(): Promise<Buffer> {
  const { rows } = await pool.query<JsonRow>(statement);
  return joinUtf8([head, ...pageWireJson(pageTextOf(rows, setup.limit, 'api')), tail]);
}

const server = http.createServer((_req, res) => {
  page().then(
    (body) => {
      // As the service answers: the length known, not chunked.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    },
    (err: unknown) => {
      res.writeHead(500).end(String(err));
    },
  );
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  // The server's listening line (what startServerProcess waits for).
  console.log(JSON.stringify({ msg: 'calendar service listening', url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` }));
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
});
