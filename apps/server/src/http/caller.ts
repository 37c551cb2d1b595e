import { createContextFromHeaders, type ApiDeps, type Context } from '@calsync/api';
import { GoogleApiError } from '@calsync/google';
import type { TRPCError } from '@trpc/server';
import { addLogFields } from '../log-context.ts';
import type { Logger } from '../logger.ts';
import { clientKey } from './rate-limit.ts';
import type { Limiter } from './shared-limiter.ts';

export type CallerOutcome = { ctx: Context; retryAfterSeconds?: undefined } | { ctx: Context; retryAfterSeconds: number };

/**
 * What /trpc and the REST routes do first for every request: authenticate the Bearer token, put
 * the user and calendar on the request's log lines, and count the request's calls against the
 * caller's limit (the user's when the token is valid, the client address's otherwise).
 */
export async function identifyCaller(
  opts: { deps: ApiDeps; limiter: Limiter | undefined },
  req: { headers: { authorization?: string | undefined }; ip?: string | undefined },
  calls = 1,
): Promise<CallerOutcome> {
  const ctx = await createContextFromHeaders(opts.deps, req.headers.authorization);
  // The calendar joins the log fields once the call's scope is known (ApiDeps.observeScope).
  if (ctx.user) addLogFields({ userId: ctx.user.id });
  if (opts.limiter) {
    const outcome = await opts.limiter.consume(ctx.user ? `user:${ctx.user.id}` : clientKey(req.ip), Math.max(1, calls));
    if (!outcome.allowed) return { ctx, retryAfterSeconds: outcome.retryAfterSeconds };
  }
  return { ctx };
}

/**
 * How a failed procedure is logged, whichever API called it: internal failures as errors with
 * their cause; Google failing (down, throttling, refusing our credentials) as a warning with the
 * classified cause, never the client library's raw request.
 */
export function logProcedureError(logger: Logger, error: TRPCError, path: string | undefined): void {
  if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path }, 'procedure failed');
  else if (error.cause instanceof GoogleApiError) logger.warn({ err: error.cause, path, code: error.code }, 'Google call failed');
}
