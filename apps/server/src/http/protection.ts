import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every answer. The defaults suit a JSON API and the jobs dashboard (its
 * page loads only its own scripts and styles); upgrade-insecure-requests is left out because
 * the dashboard is also served over plain HTTP (development, or TLS ended at the load balancer,
 * where HSTS already keeps browsers on HTTPS).
 */
export function securityHeaders(): RequestHandler {
  const headers = staticHeadersOf(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  // helmet's headers are the same on every answer: taken once, set with one call per request
  // (helmet itself runs a dozen middlewares per request).
  return (_req, res, next) => {
    res.setHeaders(headers);
    next();
  };
}

/** The headers a middleware that only sets constant headers sets, collected once. */
function staticHeadersOf(middleware: (req: never, res: never, next: (err?: unknown) => void) => void): Map<string, string> {
  const headers = new Map<string, string>();
  let called = false;
  let error: unknown;
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => void headers.set(name, String(value)),
    removeHeader: (name: string) => void headers.delete(name),
  };
  middleware({} as never, res as never, (err?: unknown) => {
    called = true;
    error = err;
  });
  if (!called || error !== undefined) throw new Error('security headers: the middleware failed', { cause: error });
  if (headers.size === 0) throw new Error('security headers: the middleware set none');
  return headers;
}

/** What a browser may send to and read from one surface of the API. */
export interface CorsSurface {
  methods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
}

/** /trpc: queries are GETs, mutations POSTs; batching and streaming ride on trpc-accept. */
export const TRPC_CORS: CorsSurface = {
  methods: ['GET', 'POST'],
  allowedHeaders: ['authorization', 'content-type', 'trpc-accept', 'x-request-id'],
  exposedHeaders: ['x-request-id', 'retry-after'],
};

/** The REST routes: PATCH with If-Match, DELETE, and creates with an Idempotency-Key; answers carry an ETag. */
export const REST_CORS: CorsSurface = {
  methods: ['GET', 'POST', 'PATCH', 'DELETE'],
  allowedHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key', 'x-request-id'],
  exposedHeaders: ['x-request-id', 'retry-after', 'etag'],
};

/**
 * Cross-origin access for the CRM's browser code, from the configured origins only. Without any,
 * no CORS header is ever sent, so browsers keep other sites out. Tokens travel in the
 * Authorization header, never in cookies: credentials stay off, so there is no `*` to misuse.
 */
export function corsFor(origins: readonly string[], surface: CorsSurface): RequestHandler[] {
  if (origins.length === 0) return [];
  return [cors({ origin: [...origins], credentials: false, ...surface, maxAge: 600 })];
}
