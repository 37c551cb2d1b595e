import {
  buildOpenApiDocument,
  errorBody,
  renderDocsPage,
  REST_OPERATIONS,
  restErrorResponse,
  runRestOperation,
  type ApiDeps,
  type RestOperation,
  type RestResponse,
} from '@calsync/api';
import { TRPCError } from '@trpc/server';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger.ts';
import { identifyCaller, logProcedureError } from './caller.ts';
import type { Limiter } from './shared-limiter.ts';
import { MAX_TRPC_BODY_BYTES } from './trpc.ts';

/** Everything the REST API serves lives under this prefix (one route label in the metrics). */
export const REST_PREFIX = '/calendar';
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

/** `/calendar/events/{id}` (OpenAPI) -> `/calendar/events/:id` (Express). */
const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

function send(res: Response, r: RestResponse): void {
  res.status(r.status).set(r.headers);
  // JSON already written (a list page): sent as res.json would send its value.
  if (r.json !== undefined) res.type('application/json; charset=utf-8').send(r.json);
  else res.json(r.body);
}

/** A request that carries a body (what body parsers go by), whatever its content type. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/**
 * The seed's REST API for existing callers: thin routes that translate snake_case to the
 * procedures' inputs and call the tRPC router in-process (createCaller), with the same Bearer
 * authentication, the same per-user rate limit and the same log fields as /trpc. The behaviour
 * lives in the procedures only. Also serves the OpenAPI document and a reference page made from it.
 */
export function restRouter(opts: { deps: ApiDeps; logger: Logger; limiter: Limiter | undefined }): Router {
  const { deps, logger, limiter } = opts;
  const router = Router();
  const document = buildOpenApiDocument();
  const docsPage = renderDocsPage(document);
  router.get(OPENAPI_PATH, (_req, res) => {
    res.json(document);
  });
  router.get(DOCS_PATH, (_req, res) => {
    res.type('html').send(docsPage);
  });

  router.use(REST_PREFIX, express.json({ limit: MAX_TRPC_BODY_BYTES }));

  const handler =
    (op: RestOperation): RequestHandler =>
    async (req, res) => {
      const { ctx, retryAfterSeconds } = await identifyCaller({ deps, limiter }, req);
      if (retryAfterSeconds !== undefined) {
        const { response } = restErrorResponse(new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `Rate limit exceeded; retry in ${retryAfterSeconds} s.` }));
        send(res, { ...response, headers: { ...response.headers, 'retry-after': String(retryAfterSeconds) } });
        return;
      }
      // express.json only reads JSON; any other body would silently read as empty.
      if ((op.method === 'post' || op.method === 'patch') && hasBody(req) && !req.is('application/json')) {
        send(res, { status: 415, body: errorBody('UNSUPPORTED_MEDIA_TYPE', 'The body must be JSON (Content-Type: application/json).'), headers: {} });
        return;
      }
      const { response, error } = await runRestOperation(op, ctx, { params: req.params, query: req.query, body: req.body, header: (name) => req.get(name) });
      if (error) logProcedureError(logger, error, op.procedure);
      send(res, response);
    };

  const methodsByPath = new Map<string, string[]>();
  for (const op of REST_OPERATIONS) {
    const path = expressPath(op.path);
    router[op.method](path, handler(op));
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), op.method.toUpperCase()]);
  }
  for (const [path, methods] of methodsByPath) {
    router.all(path, (req, res) => {
      res
        .status(405)
        .set('allow', methods.join(', '))
        .json(errorBody('METHOD_NOT_SUPPORTED', `${req.method} is not supported here; use ${methods.join(' or ')}.`));
    });
  }

  // Bodies the JSON parser refused: the REST error shape, with the parser's status.
  const bodyErrors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const type = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
    if (type === 'entity.parse.failed') send(res, { status: 400, body: errorBody('BAD_REQUEST', 'The body is not valid JSON.'), headers: {} });
    else if (type === 'entity.too.large') {
      send(res, { status: 413, body: errorBody('PAYLOAD_TOO_LARGE', `The body may be at most ${MAX_TRPC_BODY_BYTES} bytes.`), headers: {} });
    } else if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
      send(res, { status: 415, body: errorBody('UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8 JSON.'), headers: {} });
    } else next(err);
  };
  router.use(REST_PREFIX, bodyErrors);
  return router;
}
