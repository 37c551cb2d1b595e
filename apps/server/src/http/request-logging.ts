import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { stdSerializers } from 'pino';
import { pinoHttp } from 'pino-http';
import { currentLogFields, runWithLogFields, type LogFields } from '../log-context.ts';
import type { Logger } from '../logger.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** An id a caller (or a proxy in front of us) chose is kept when it is plainly an id. */
const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Google's channel ids are ours (UUIDs); anything else is logged as absent rather than echoed. */
const SANE_CHANNEL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Paths probed every few seconds by load balancers and scrapers: their lines are debug. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$)/;

export function requestIdOf(given: string | undefined): string {
  return given !== undefined && SANE_ID.test(given) ? given : randomUUID();
}

/** Query parameters that carry credentials (e.g. the web page's `?token=` link). */
const CREDENTIAL_PARAM = /^(token|access_token|id_token|jwt|key|secret|password|code)$/i;

/** The URL as logged: credential-bearing query values replaced, the rest kept for debugging. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of new Set(params.keys())) {
    if (CREDENTIAL_PARAM.test(key)) {
      params.set(key, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/**
 * Gives each request an id (a sane incoming X-Request-Id or a new UUID), echoes it in the
 * response, makes it (and later the user, calendar and channel) part of every line logged while
 * serving the request, and writes one line per finished request.
 */
export function requestLogging(logger: Logger): RequestHandler {
  const httpLogger = pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    // Set below, before pino-http looks: the id must exist before anything logs.
    genReqId: (req) => (typeof req.id === 'string' ? req.id : randomUUID()),
    // The response's headers are ours and the same on every answer: the status says it all.
    serializers: {
      req: (req: IncomingMessage) => {
        const logged = stdSerializers.req(req);
        return { ...logged, url: loggableUrl(logged.url) };
      },
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      return QUIET_PATHS.test(req.url ?? '') ? 'debug' : 'info';
    },
    // The request's fields go into the line itself (not a child binding) so that the mixin's
    // copy of them merges into one key instead of appearing twice.
    customSuccessObject: (req, _res, value: Record<string, unknown>) => ({ ...value, ...fieldsOf(req) }),
    customErrorObject: (req, _res, _err, value: Record<string, unknown>) => ({ ...value, ...fieldsOf(req) }),
    customSuccessMessage: (req, res) => `${req.method ?? ''} ${seen.get(req)?.path ?? ''} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method ?? ''} ${seen.get(req)?.path ?? ''} ${res.statusCode}`,
  });
  /**
   * The completion line is written from the response's 'finish' event, which may run outside the
   * request's async context, and after routers rewrote req.url: both are kept per request.
   */
  const seen = new WeakMap<IncomingMessage, { fields: LogFields; path: string }>();
  const fieldsOf = (req: IncomingMessage): LogFields => seen.get(req)?.fields ?? currentLogFields();

  return (req, res, next) => {
    const requestId = requestIdOf(req.get(REQUEST_ID_HEADER));
    req.id = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const fields: LogFields = { requestId };
    const channelId = req.get('x-goog-channel-id');
    if (channelId !== undefined && SANE_CHANNEL_ID.test(channelId)) fields.channelId = channelId;
    seen.set(req, { fields, path: req.path });
    runWithLogFields(fields, () => httpLogger(req, res, next));
  };
}
