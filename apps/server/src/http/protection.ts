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
  return helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
}

/**
 * Cross-origin access for the CRM's browser code, from the configured origins only. Without any,
 * no CORS header is ever sent, so browsers keep other sites out. Tokens travel in the
 * Authorization header, never in cookies: credentials stay off, so there is no `*` to misuse.
 */
export function corsFor(origins: readonly string[]): RequestHandler[] {
  if (origins.length === 0) return [];
  return [
    cors({
      origin: [...origins],
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'trpc-accept', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    }),
  ];
}
