import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { runWithLogFields, type LogFields } from '../log-context.ts';
import type { Logger } from '../logger.ts';
import { WEBHOOK_PATH } from './webhook.ts';

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
 * serving the request, and writes one line per finished request: method, URL (credentials
 * redacted), client address, status and time. Headers are not dumped: they hold credentials
 * and cost more to serialise and redact than the rest of the line on every request.
 *
 * (pino-http did this before; it built a child logger per request, redacting its bindings, even
 * when the line's level was off: ~0.4 ms of a 250-event listEvents request.)
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const requestId = requestIdOf(req.get(REQUEST_ID_HEADER));
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const fields: LogFields = { requestId };
    const channelId = req.get('x-goog-channel-id');
    if (channelId !== undefined && SANE_CHANNEL_ID.test(channelId)) fields.channelId = channelId;
    // Taken now: routers later rewrite req.url relative to their mount point.
    const { method, originalUrl } = req;
    const path = req.path;
    let logged = false;
    // 'finish': the answer was handed to the OS; 'close' without it: the client went away first.
    // Either may fire outside the request's async context, so its fields travel with the line.
    const complete = () => {
      if (logged) return;
      logged = true;
      const aborted = !res.writableFinished;
      const status = res.statusCode;
      // Google's notifications come thousands a second in a storm: a delivered one is debug
      // (counted by calsync_webhook_notifications_total; a line each was ~8 % of the server's
      // CPU in a storm). Refusals stay info, next to the receiver's own warning.
      const level = status >= 500 ? 'error' : aborted ? 'warn' : QUIET_PATHS.test(path) || (path === WEBHOOK_PATH && status < 300) ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          ...fields,
          req: { method, url: loggableUrl(originalUrl), remoteAddress: req.ip },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
          ...(aborted ? { aborted: true } : {}),
        },
        `${method} ${path} ${aborted ? 'aborted' : status}`,
      );
    };
    res.once('finish', complete);
    res.once('close', complete);
    runWithLogFields(fields, next);
  };
}
