/**
 * The floor of the list read path on this machine: a bare Node HTTP server that answers every
 * request with the list page, read with the same prepared statement through pg (rows as arrays)
 * and joined into the same bytes the service sends (tRPC's envelope, superjson's annotations,
 * the cursor), and nothing else: no authentication, rate limit, input, logging, metrics or
 * framework. What it costs per request is what Node's HTTP and pg cost; the service can only be
 * slower. Started by startBareListServer (util/bare-server.ts) with its setup as the first line on
 * stdin; it exits when stdin ends (the bench stopped it, or went away).
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import { DATE_ANNOTATIONS, encodeCursor, joinUtf8, type TextParts } from '@calsync/calendar';
import pg from 'pg';

interface Setup {
  databaseUrl: string;
  text: string;
  values: unknown[];
  /** The page's size (the statement asks for one more row, to know whether another page exists). */
  limit: number;
  connections: number;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const first = await lines.next();
if (first.done === true) process.exit(1);
const setup = JSON.parse(first.value) as Setup;
const pool = new pg.Pool({ connectionString: setup.databaseUrl, max: setup.connections });
const statement = { name: 'bare_list', text: setup.text, values: setup.values, rowMode: 'array' as const };

async function page(): Promise<Buffer> {
  const { rows } = await pool.query<[json: string, dates: number]>(statement);
  const count = Math.min(rows.length, setup.limit);
  const items: TextParts = ['['];
  let dates = '{';
  for (let i = 0; i < count; i++) {
    const row = rows[i] as [string, number];
    if (i > 0) items.push(',');
    items.push(row[0]);
    dates += `${i === 0 ? '' : ','}"${i}":${DATE_ANNOTATIONS[row[1]] ?? '{}'}`;
  }
  items.push(']');
  dates += '}';
  const last = count > 0 && rows.length > setup.limit ? (JSON.parse((rows[count - 1] as [string, number])[0]) as { id: string; startTime: string }) : undefined;
  const cursor = last ? JSON.stringify(encodeCursor({ startTime: new Date(last.startTime), id: last.id })) : 'null';
  const head = count > 0 ? `{"result":{"data":{"meta":{"values":{"items":${dates}},"v":1},"json":{"items":` : '{"result":{"data":{"json":{"items":';
  return joinUtf8([head, ...items, `,"nextCursor":${cursor}}}}}`]);
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
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
let exiting = false;
function exit(): void {
  if (exiting) return;
  exiting = true;
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
}
process.on('SIGTERM', exit);
// The bench closes stdin to stop it, and so does the bench's end, however it ends.
process.stdin.on('end', exit);
process.stdin.on('close', exit);
