import { errorBody } from '@calsync/api';
import type { NotificationOutcome, NotificationReceiver } from '@calsync/calendar';
import express, { type RequestHandler, type Router } from 'express';
import { clientKey } from './rate-limit.ts';
import type { Limiter } from './shared-limiter.ts';

/** Where Google posts notifications: the route of this app that channels are opened with. */
export const WEBHOOK_PATH = '/webhooks/google-drive';

/** The notification address of channels opened with `baseUrl` as the public URL of this app. */
export function notificationUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
}

/** What Google is answered for each outcome: a duplicate or a handshake was received fine. */
const STATUS_OF: Record<NotificationOutcome['result'], number> = {
  'sync-handshake': 200,
  accepted: 200,
  duplicate: 200,
  invalid: 400,
  forbidden: 403,
};

/**
 * POST /webhooks/google-drive: Google's push notifications. Google sends an empty body and the
 * X-Goog-* headers; anything else is refused. Authentication is the channel token, checked by
 * the receiver; the answer goes out before the sync runs.
 */
export function webhookRouter(
  path: string,
  receiver: NotificationReceiver,
  /** Told the result of every notification (metrics); 'error' when receiving it threw. */
  onResult: (result: NotificationOutcome['result'] | 'error') => void = () => {},
): Router {
  const router = express.Router();
  router.all(path, express.raw({ type: () => true, limit: '1kb' }), async (req, res, next) => {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST').status(405).json(errorBody('METHOD_NOT_SUPPORTED', 'Only POST.'));
      return;
    }
    if (Buffer.isBuffer(req.body) && req.body.length > 0) {
      onResult('invalid');
      res.status(400).json(errorBody('BAD_REQUEST', 'Push notifications carry no body.'));
      return;
    }
    try {
      const outcome = await receiver.receive({
        channelId: req.get('x-goog-channel-id'),
        channelToken: req.get('x-goog-channel-token'),
        resourceId: req.get('x-goog-resource-id'),
        resourceState: req.get('x-goog-resource-state'),
        messageNumber: req.get('x-goog-message-number'),
      });
      onResult(outcome.result);
      res.status(STATUS_OF[outcome.result]).end();
    } catch (err) {
      onResult('error');
      next(err);
    }
  });
  return router;
}

const SANE_CHANNEL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Google's notifications, counted per channel (X-Goog-Channel-ID): bursts of one busy calendar
 * stay below the cap, a flood on one channel is cut. Requests without a plausible channel id
 * count per client address.
 */
export function webhookRateLimit(limiter: Limiter | undefined): RequestHandler {
  return async (req, res, next) => {
    if (!limiter) {
      next();
      return;
    }
    const channelId = req.get('x-goog-channel-id');
    const key = channelId !== undefined && SANE_CHANNEL_ID.test(channelId) ? `channel:${channelId}` : clientKey(req.ip);
    try {
      const outcome = await limiter.consume(key);
      if (outcome.allowed) {
        next();
        return;
      }
      res
        .set('Retry-After', String(outcome.retryAfterSeconds))
        .status(429)
        .json(errorBody('TOO_MANY_REQUESTS', `Too many notifications for this channel; retry in ${outcome.retryAfterSeconds} s.`));
    } catch (err) {
      next(err);
    }
  };
}
