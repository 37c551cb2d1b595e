import { beforeEach, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from './support/backing-services.ts';
import { useSystem, type System } from './support/system.ts';

// /health (liveness) and /health/calendar (readiness and diagnostics) as a load balancer and an
// on-call engineer use them: open without credentials, 503 with the reason when sync cannot work,
// and nothing in them that a stranger could use.
interface CalendarHealthBody {
  status: 'ok' | 'degraded';
  reasons: string[];
  database: { ok: boolean };
  google: { ok: boolean };
  maxSyncAgeSeconds: number;
  calendars: Array<{
    calendarId: string;
    channelExpiration: string | null;
    channelExpiresInSeconds: number | null;
    lastSyncAgeSeconds: number | null;
    lastNotificationAgeSeconds: number | null;
  }> | null;
}

async function probe(sys: System): Promise<{ status: number; body: CalendarHealthBody; text: string }> {
  const res = await fetch(`${sys.app.url}/health/calendar`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as CalendarHealthBody, text };
}

/** Everything a response must never contain: credentials, tokens, channel ids, event data. */
async function expectNoSecrets(sys: System, text: string): Promise<void> {
  const state = await sys.sql.query<{ channel_id: string | null; resource_id: string | null; sync_token: string | null }>(
    'select channel_id, resource_id, sync_token from calendar_sync_states',
  );
  const secrets = [
    'PRIVATE KEY',
    sys.key.private_key.slice(40, 100),
    sys.key.private_key_id ?? 'no-key-id',
    TEST_JWT_SECRET,
    sys.token,
    'webhook-secret-for-end-to-end-tests',
    'access_token',
    'Board meeting',
    ...state.rows.flatMap((r) => [r.channel_id, r.resource_id, r.sync_token]).filter((v): v is string => !!v),
  ];
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('with Google and the database up', () => {
  const sys = useSystem();
  beforeEach(async () => {
    await sys.client.calendar.stopWatch.mutate();
    await sys.settle();
    await sys.sql.query('delete from calendar_sync_states');
  });

  it('GET /health answers ok without credentials', async () => {
    const res = await fetch(`${sys.app.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready with nothing watched yet', async () => {
    const { status, body } = await probe(sys);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', reasons: [], database: { ok: true }, google: { ok: true }, maxSyncAgeSeconds: 7200, calendars: [] });
  });

  it('shows each watched calendar: channel expiry, last sync and last notification ages', async () => {
    await sys.client.calendar.createEvent.mutate({ summary: 'Board meeting', startTime: new Date('2031-11-03T10:00:00Z'), endTime: new Date('2031-11-03T11:00:00Z') });
    const channel = await sys.client.calendar.watch.mutate();
    sys.emulator.control.createEvent(sys.calendarId, {
      summary: 'Board meeting prep',
      start: { dateTime: '2031-11-04T10:00:00Z' },
      end: { dateTime: '2031-11-04T11:00:00Z' },
    });
    await sys.settle();

    const { status, body, text } = await probe(sys);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.calendars).toHaveLength(1);
    const [calendar] = body.calendars ?? [];
    expect(calendar).toMatchObject({ calendarId: sys.calendarId, channelExpiration: channel.expiration.toISOString() });
    expect(calendar?.channelExpiresInSeconds).toBeGreaterThan(0);
    expect(calendar?.lastSyncAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(calendar?.lastNotificationAgeSeconds).toBeGreaterThanOrEqual(0);
    await expectNoSecrets(sys, text);
  });

  it('is 503 naming the calendar when its channel has expired', async () => {
    await sys.client.calendar.watch.mutate();
    await sys.sql.query(`update calendar_sync_states set expiration = now() - interval '5 minutes' where active`);

    const { status, body, text } = await probe(sys);
    expect(status).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.reasons).toEqual([expect.stringMatching(new RegExp(`^calendar ${sys.calendarId}: push channel expired at `))]);
    expect(body.calendars?.[0]?.channelExpiresInSeconds).toBeLessThan(0);
    await expectNoSecrets(sys, text);
  });

  it('is 503 when a watched calendar has not synced for longer than HEALTH_MAX_SYNC_AGE', async () => {
    await sys.client.calendar.watch.mutate();
    await sys.sql.query(`update calendar_sync_states set last_sync_at = now() - interval '3 hours' where active`);

    const { status, body } = await probe(sys);
    expect(status).toBe(503);
    expect(body.reasons).toEqual([expect.stringMatching(/: last successful sync \d+ s ago \(max 7200 s\)$/)]);
    expect(body.calendars?.[0]?.lastSyncAgeSeconds).toBeGreaterThan(7200);

    // A sync repairs it.
    await sys.client.calendar.sync.mutate();
    expect((await probe(sys)).status).toBe(200);
  });
});

describe('with Google refusing tokens', () => {
  // One attempt per check: the answer does not wait for retries.
  const sys = useSystem({ env: { GOOGLE_RETRY_MAX_ATTEMPTS: '1' } });

  it('is 503 naming Google, and reuses the check for a while instead of asking Google at every probe', async () => {
    // Before anything obtained a token: the auth library would otherwise reuse a valid one.
    sys.emulator.control.injectFaults([{ method: 'token', status: 503, times: 'always' }]);

    const first = await probe(sys);
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ status: 'degraded', database: { ok: true }, google: { ok: false } });
    expect(first.body.reasons).toEqual(['google: no access token: unavailable (HTTP 503)']);
    await expectNoSecrets(sys, first.text);

    const tokenCalls = sys.emulator.control.stats().token;
    expect(tokenCalls).toBeGreaterThanOrEqual(1);
    const second = await probe(sys);
    expect(second.status).toBe(503);
    expect(second.body.reasons).toEqual(first.body.reasons);
    expect(sys.emulator.control.stats().token).toBe(tokenCalls);
  });
});
