import type { NotificationOutcome, NotificationReceiver } from '@calsync/calendar';
import express, { type Router } from 'express';

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
      res.set('Allow', 'POST').status(405).json({ error: { code: 'METHOD_NOT_SUPPORTED', message: 'Only POST.' } });
      return;
    }
    if (Buffer.isBuffer(req.body) && req.body.length > 0) {
      onResult('invalid');
      res.status(400).json({ error: { code: 'BAD_REQUEST', message: 'Push notifications carry no body.' } });
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
      res.status(outcome.status).end();
    } catch (err) {
      onResult('error');
      next(err);
    }
  });
  return router;
}
