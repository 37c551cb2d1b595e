import { appRouter, type ApiDeps, type Context } from '@calsync/api';
import { TRPCError } from '@trpc/server';
import { createExpressMiddleware, type CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { identifyCaller, logProcedureError } from './caller.ts';
import type { Limiter } from './shared-limiter.ts';

/** JSON bodies of procedure calls; larger ones are refused (413) before they are parsed. */
export const MAX_TRPC_BODY_BYTES = 100 * 1024;

/**
 * /trpc: authenticates once per (batched) request, then counts the request's procedure calls
 * against the caller's limit: the user's when the token is valid, the client address's
 * otherwise. Refusals are TRPCErrors, so the typed client sees TOO_MANY_REQUESTS / 429.
 */
export function trpcHandler(opts: { deps: ApiDeps; logger: Logger; limiter: Limiter | undefined }): RequestHandler {
  const { deps, logger, limiter } = opts;
  return createExpressMiddleware({
    router: appRouter,
    maxBatchSize: 50,
    maxBodySize: MAX_TRPC_BODY_BYTES,
    async createContext({ req, res, info }: CreateExpressContextOptions): Promise<Context> {
      const { ctx, retryAfterSeconds } = await identifyCaller({ deps, limiter }, req, info.calls.length);
      if (retryAfterSeconds !== undefined) {
        res.setHeader('Retry-After', String(retryAfterSeconds));
        throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `Rate limit exceeded; retry in ${retryAfterSeconds} s.` });
      }
      return ctx;
    },
    onError({ error, path }) {
      logProcedureError(logger, error, path);
    },
  });
}
