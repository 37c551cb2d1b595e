import type { RequestHandler } from 'express';
import type { HttpObservation } from '../metrics.ts';

export interface RouteTable {
  /** Exact paths served (e.g. '/health', '/webhooks/google-drive'). */
  paths: readonly string[];
  /** Prefixes whose sub-paths are one route (e.g. '/jobs' for the dashboard's pages and assets). */
  prefixes: readonly string[];
  /** tRPC procedure paths ('calendar.listEvents'), served under '/trpc/'. */
  procedures: readonly string[];
}

/**
 * The route label of a request: a known path, a known tRPC procedure, or a fixed word. Never the
 * raw URL, whose values are unbounded (ids, scanners' guesses) and would grow the series without end.
 */
export function routeLabel(pathname: string, table: RouteTable, procedures: ReadonlySet<string>): string {
  if (table.paths.includes(pathname)) return pathname;
  for (const prefix of table.prefixes) if (pathname === prefix || pathname.startsWith(`${prefix}/`)) return prefix;
  if (pathname.startsWith('/trpc/')) {
    const names = pathname.slice('/trpc/'.length).split(',');
    // A batch of several procedures is one request: its cost is not any single procedure's.
    if (names.length > 1) return '/trpc/(batch)';
    const name = names[0] ?? '';
    return procedures.has(name) ? `/trpc/${name}` : '/trpc/(unknown)';
  }
  return 'other';
}

/** Times every request from arrival to the end of its response (or the connection's close). */
export function requestMetrics(table: RouteTable, observe: (o: HttpObservation) => void): RequestHandler {
  const procedures = new Set(table.procedures);
  return (req, res, next) => {
    const t0 = performance.now();
    // Taken now: routers later rewrite req.url relative to their mount point.
    const pathname = (req.originalUrl.split('?')[0] ?? '').replace(/\/+$/, '') || '/';
    res.once('close', () => {
      observe({
        method: req.method,
        route: routeLabel(pathname, table, procedures),
        statusCode: res.statusCode,
        durationSeconds: (performance.now() - t0) / 1000,
      });
    });
    next();
  };
}
