import { appRouter, decodeProcedureInput, listEventsJson, type ApiDeps, type Context } from '@calsync/api';
import { joinUtf8, type TextParts } from '@calsync/calendar';
import { TRPCError } from '@trpc/server';
import { createExpressMiddleware, type CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger.ts';
import { identifyCaller, logProcedureError, type CallerOutcome } from './caller.ts';
import type { Limiter } from './shared-limiter.ts';

/** JSON bodies of procedure calls; larger ones are refused (413) before they are parsed. */
export const MAX_TRPC_BODY_BYTES = 100 * 1024;

/**
 * /trpc: authenticates once per (batched) request, then counts the request's procedure calls
 * against the caller's limit: the user's when the token is valid, the client address's
 * otherwise. Refusals are TRPCErrors, so the typed client sees TOO_MANY_REQUESTS / 429.
 *
 * A GET of calendar.listEvents alone (batched or not: what the typed client and a calendar view
 * send) takes a shorter way: the page PostgreSQL wrote as JSON is written into tRPC's
 * envelope, without tRPC's fetch adapter and without the page becoming values (see
 * listEventsJson). Only answers go that way: anything else, a refusal or an error, is served by
 * the tRPC adapter as ever, with the caller already identified (so counted once).
 */
export function trpcHandler(opts: { deps: ApiDeps; logger: Logger; limiter: Limiter | undefined }): RequestHandler {
  const { deps, logger, limiter } = opts;
  // The caller as the shorter way identified them, for the adapter when it serves the request after all.
  const identified = new WeakMap<Request, CallerOutcome>();
  const adapter = createExpressMiddleware({
    router: appRouter,
    maxBatchSize: 50,
    maxBodySize: MAX_TRPC_BODY_BYTES,
    async createContext({ req, res, info }: CreateExpressContextOptions): Promise<Context> {
      const { ctx, retryAfterSeconds } = identified.get(req) ?? (await identifyCaller({ deps, limiter }, req, info.calls.length));
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

  /** Writes the answer of a listEvents GET; false when the adapter must serve the request. */
  async function answerListPage(req: Request, res: Response, call: ListCall): Promise<boolean> {
    const outcome = await identifyCaller({ deps, limiter }, req);
    identified.set(req, outcome);
    if (outcome.retryAfterSeconds !== undefined) return false;
    let data: TextParts;
    try {
      data = await listEventsJson(outcome.ctx, call.input, 'api');
    } catch {
      return false;
    }
    const [head, tail] = call.batch ? BATCH_ENVELOPE : ENVELOPE;
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.setHeader('vary', 'trpc-accept, accept');
    // The page's parts joined once, into what goes to the socket.
    res.end(joinUtf8([head, ...data, tail]));
    return true;
  }

  return (req, res, next) => {
    const call = listEventsCall(req);
    if (!call) {
      void adapter(req, res, next);
      return;
    }
    answerListPage(req, res, call).then(
      (answered) => {
        if (!answered) void adapter(req, res, next);
      },
      (err: unknown) => next(err),
    );
  };
}

/** tRPC's envelope of one answer, alone and as a batch of one (the bench's floor sends the first too). */
export const ENVELOPE = ['{"result":{"data":', '}}'] as const;
const BATCH_ENVELOPE = ['[{"result":{"data":', '}}]'] as const;

interface ListCall {
  batch: boolean;
  input: unknown;
}

/**
 * A GET of calendar.listEvents alone with its input decoded as tRPC decodes it; undefined for
 * any other request, and for anything unusual (streaming, no input, input that does not decode),
 * which the adapter answers (with its own errors).
 */
function listEventsCall(req: Request): ListCall | undefined {
  if (req.method !== 'GET' || req.path !== '/calendar.listEvents') return undefined;
  if (req.headers['trpc-accept'] !== undefined || req.headers.accept?.includes('application/jsonl')) return undefined;
  const query = req.query as Record<string, unknown>;
  const batch = query.batch === '1';
  if (!batch && query.batch !== undefined) return undefined;
  if (typeof query.input !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(query.input);
    let raw: unknown = parsed;
    if (batch) {
      if (typeof parsed !== 'object' || parsed === null || !('0' in parsed)) return undefined;
      raw = parsed[0];
    }
    return { batch, input: decodeProcedureInput(raw) };
  } catch {
    return undefined;
  }
}
