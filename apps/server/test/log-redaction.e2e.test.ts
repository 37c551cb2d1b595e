import { channelToken } from '@calsync/calendar';
import { expect, it } from 'vitest';
import { WEBHOOK_PATH } from '../src/http/webhook.ts';
import { createLogger } from '../src/logger.ts';
import { failure } from './support/failure.ts';
import { TEST_JWT_SECRET } from './support/backing-services.ts';
import { useSystem } from './support/system.ts';

// Every line a real request causes carries its request id (and the user, calendar, channel),
// and no credential ever reaches the log: not the caller's token, not the webhook's channel
// token, not the service account's private key or access tokens, not the configured secrets.
const WEBHOOK_SECRET = 'webhook-secret-for-end-to-end-tests-0123456789';
let output = '';
const sys = useSystem({ logger: createLogger({ level: 'trace', destination: { write: (line: string) => void (output += line) } }) });

type Line = Record<string, unknown> & { msg?: string; requestId?: string };
const lines = (): Line[] =>
  output
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);

const event = { summary: 'Logged call', startTime: '2031-07-08T10:00:00.000Z', endTime: '2031-07-08T11:00:00.000Z' };

it('logs requests with their ids and fields, and never a secret', async () => {
  // A procedure call with a Bearer token and a request id from the caller.
  const created = await fetch(`${sys.app.url}/trpc/calendar.createEvent`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sys.token}`, 'content-type': 'application/json', 'x-request-id': 'redaction-test-1', cookie: 'session=cookie-secret-value' },
    body: JSON.stringify({ json: event, meta: { values: { startTime: ['Date'], endTime: ['Date'] } } }),
  });
  expect(created.status).toBe(200);

  // Push notifications: one with the channel's real token, one forged.
  const channel = await sys.client.calendar.watch.mutate();
  const realToken = channelToken(WEBHOOK_SECRET, channel.channelId);
  const notify = (token: string, requestId: string) =>
    fetch(`${sys.app.url}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: {
        'x-request-id': requestId,
        'x-goog-channel-id': channel.channelId,
        'x-goog-channel-token': token,
        'x-goog-resource-id': channel.resourceId,
        'x-goog-resource-state': 'exists',
        'x-goog-message-number': String(1_000_000 + output.length),
      },
    });
  expect((await notify(realToken, 'webhook-ok')).status).toBe(200);
  expect((await notify('forged-channel-token-0123456789', 'webhook-forged')).status).toBe(403);

  // The web page's link may carry the token in the query string.
  await fetch(`${sys.app.url}/?token=query-token-secret-0123&week=2031-07-07`, { headers: { 'x-request-id': 'query-token' } });

  // Google failing: the call is refused with a classified error and logged.
  sys.emulator.control.injectFaults([{ method: 'events.insert', status: 503, times: 'always' }]);
  const refused = await failure(sys.client.calendar.createEvent.mutate({ ...event, startTime: new Date(event.startTime), endTime: new Date(event.endTime) }));
  expect(refused.code).toBe('SERVICE_UNAVAILABLE');
  sys.emulator.control.clearFaults();
  await sys.settle();

  const log = lines();
  const text = output;
  const privateKeyBody = sys.key.private_key.split('\n')[1] ?? '';
  expect(privateKeyBody.length).toBeGreaterThan(20);
  for (const secret of ['query-token-secret-0123', sys.token, TEST_JWT_SECRET, WEBHOOK_SECRET, realToken, 'forged-channel-token-0123456789', 'cookie-secret-value', privateKeyBody, 'ya29.']) {
    expect(text).not.toContain(secret);
  }
  // One line per request, with what happened and whose it was; headers (credentials) are not dumped.
  const first = log.find((l) => l.requestId === 'redaction-test-1' && l.msg?.startsWith('POST'));
  expect(first).toMatchObject({
    requestId: 'redaction-test-1',
    userId: 'user-1',
    calendarId: sys.calendarId,
    msg: 'POST /trpc/calendar.createEvent 200',
    req: { method: 'POST', url: '/trpc/calendar.createEvent' },
    res: { statusCode: 200 },
  });
  expect(first?.['responseTime']).toEqual(expect.any(Number));
  expect(log.some((l) => typeof l['req'] === 'object' && l['req'] !== null && 'headers' in l['req'])).toBe(false);

  expect(log.find((l) => l.requestId === 'query-token' && l.msg?.startsWith('GET'))).toMatchObject({ req: { url: '/?token=%5Bredacted%5D&week=2031-07-07' } });

  const forged = log.filter((l) => l.requestId === 'webhook-forged');
  // The receiver's own line (written deep in the calendar package) carries the request's fields.
  expect(forged.find((l) => l.msg === 'webhook notification refused')).toMatchObject({ channelId: channel.channelId });
  expect(forged.find((l) => l.msg?.startsWith('POST'))).toMatchObject({ channelId: channel.channelId, res: { statusCode: 403 } });
  // A delivered notification's line is debug (thousands a second in a storm); a refusal's is info.
  expect(log.find((l) => l.requestId === 'webhook-ok' && l.msg?.startsWith('POST'))).toMatchObject({ level: 20, res: { statusCode: 200 } });
  expect(forged.find((l) => l.msg?.startsWith('POST'))).toMatchObject({ level: 30 });

  const google = log.find((l) => l.msg === 'Google call failed');
  expect(google).toMatchObject({ userId: 'user-1', code: 'SERVICE_UNAVAILABLE', err: { type: 'GoogleApiError' } });
  expect(google?.requestId).toMatch(/^[0-9a-f-]{36}$/);
});
