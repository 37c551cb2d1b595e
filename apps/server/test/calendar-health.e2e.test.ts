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
  /** Counts only: the same size with 10,000 calendars as with one (details: the admin list). */
  calendars: {
    byState: { active: number; disconnected: number; error: number };
    watched: number;
    channelsExpiringWithinDay: number;
    channelsExpired: number;
    staleSyncs: number;
    oldestLastSyncAgeSeconds: number | null;
  } | null;
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
    expect(body).toMatchObject({
      status: 'ok',
      reasons: [],
      database: { ok: true },
      google: { ok: true },
      maxSyncAgeSeconds: 7200,
      calendars: { byState: { active: 1, disconnected: 0, error: 0 }, watched: 0, channelsExpired: 0, staleSyncs: 0, oldestLastSyncAgeSeconds: null },
    });
  });

  it('sums up the watched calendars: how many, channels expiring, the oldest last sync', async () => {
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
    expect(body.calendars).toMatchObject({ byState: { active: 1 }, watched: 1, channelsExpired: 0, staleSyncs: 0 });
    // A fresh 7-day channel does not expire within a day.
    expect(channel.expiration.getTime() - Date.now()).toBeGreaterThan(86_400_000);
    expect(body.calendars?.channelsExpiringWithinDay).toBe(0);
    expect(body.calendars?.oldestLastSyncAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(body.calendars?.oldestLastSyncAgeSeconds).toBeLessThan(60);
    // No calendar ids either: which calendar is a question for the admin list.
    expect(text).not.toContain(sys.calendarId);
    await expectNoSecrets(sys, text);
  });

  it('is 503 counting the calendars whose channel has expired', async () => {
    await sys.client.calendar.watch.mutate();
    await sys.sql.query(`update calendar_sync_states set expiration = now() - interval '5 minutes' where active`);

    const { status, body, text } = await probe(sys);
    expect(status).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.reasons).toEqual(['1 watched calendar: push channel expired']);
    expect(body.calendars).toMatchObject({ channelsExpired: 1, channelsExpiringWithinDay: 1 });
    await expectNoSecrets(sys, text);
  });

  it('is 503 when a watched calendar has not synced for longer than HEALTH_MAX_SYNC_AGE', async () => {
    await sys.client.calendar.watch.mutate();
    await sys.sql.query(`update calendar_sync_states set last_sync_at = now() - interval '3 hours' where active`);

    const { status, body } = await probe(sys);
    expect(status).toBe(503);
    expect(body.reasons).toEqual(['1 watched calendar: no successful sync within 7200 s']);
    expect(body.calendars?.oldestLastSyncAgeSeconds).toBeGreaterThan(7200);

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
