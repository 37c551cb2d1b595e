import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { EntityManager } from '@calsync/db';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { calendarHealthRouter } from './health.ts';

// The database-down answers, without stopping a real database: a stand-in unit of work that
// refuses or never answers.
async function probeWith(execute: () => Promise<unknown>): Promise<{ status: number; body: { status: string; reasons: string[]; calendars: unknown } }> {
  const em = { execute } as unknown as EntityManager;
  const app = express().use(
    calendarHealthRouter({ em: () => em, checkGoogleAccess: async () => {}, maxSyncAgeMs: 7_200_000, logger: createLogger({ level: 'silent' }), databaseTimeoutMs: 50 }),
  );
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health/calendar`);
    return { status: res.status, body: (await res.json()) as { status: string; reasons: string[]; calendars: unknown } };
  } finally {
    server.close();
  }
}

describe('GET /health/calendar with the database down', () => {
  it('is 503 with the driver error code only (its message can name hosts and users)', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432 (user calsync)'), { code: 'ECONNREFUSED' });
    const { status, body } = await probeWith(() => Promise.reject(refused));
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'degraded', reasons: ['database: unreachable (ECONNREFUSED)'], calendars: null });
    expect(JSON.stringify(body)).not.toContain('10.0.0.5');
  });

  it('is 503 quickly when the database does not answer', async () => {
    const { status, body } = await probeWith(() => new Promise(() => {}));
    expect(status).toBe(503);
    expect(body.reasons).toEqual(['database: no answer within 50 ms']);
  });
});
