import { createHash, timingSafeEqual } from 'node:crypto';
import { errorBody, INTERNAL_ERROR_MESSAGE } from '@calsync/api';
import express, { type Router } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

export const METRICS_PATH = '/metrics';

// Digests have a fixed length, so the comparison takes the same time whatever was presented.
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * GET /metrics for Prometheus, behind `Authorization: Bearer <METRICS_TOKEN>`: the numbers name
 * calendars and show traffic, so they are not for anyone who can reach the port.
 */
export function metricsRouter(metrics: Metrics, token: string, logger: Logger): Router {
  const expected = digest(token);
  const router = express.Router();
  router.get(METRICS_PATH, async (req, res) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="calsync metrics"').status(401).json(errorBody('UNAUTHORIZED', 'Bearer METRICS_TOKEN required.'));
      return;
    }
    try {
      const body = await metrics.render();
      res.set('Content-Type', metrics.contentType).set('Cache-Control', 'no-store').send(body);
    } catch (err) {
      logger.error({ err }, 'metrics: rendering failed');
      res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', INTERNAL_ERROR_MESSAGE));
    }
  });
  return router;
}
