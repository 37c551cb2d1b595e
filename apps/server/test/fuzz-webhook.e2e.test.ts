import { channelToken } from '@calsync/calendar';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FUZZ_ENV, observe, send } from './support/fuzz.ts';
import { useSystem } from './support/system.ts';

// Property runs are many real requests: on a loaded 2-core CI machine they need more than the default.
vi.setConfig({ testTimeout: 120_000 });

// Property-based: whatever reaches POST /webhooks/google-drive (any method, body, header values,
// duplicated or missing headers), the answer is never 5xx, and a refusal (4xx) costs no Google
// call and changes no sync state. Accepted notifications may sync, but never write to Google.
const WEBHOOK_SECRET = 'webhook-secret-for-fuzz-tests-only-0123456789';
const PATH = '/webhooks/google-drive';

const sys = useSystem({ env: { ...FUZZ_ENV, WEBHOOK_SECRET, SYNC_MIN_INTERVAL_MS: '0' } });
let channel = { channelId: '', resourceId: '', token: '' };
let messageNumber = 1000;

beforeAll(async () => {
  const c = await sys.client.calendar.watch.mutate();
  channel = { channelId: c.channelId, resourceId: c.resourceId, token: channelToken(WEBHOOK_SECRET, c.channelId) };
  await sys.settle();
});

/** Header-safe text: what an HTTP client can send at all (visible ASCII and spaces, no CR/LF). */
const headerText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_./:=+%"\',;\t'.split('')), maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '1e3', '0x10', '9007199254740993', '1.5', 'NaN', 'Infinity', 'null', 'undefined', 'exists', 'sync', 'not_exists', 'EXISTS'),
  fc.integer({ min: 1000, max: 8000 }).map((n) => 'x'.repeat(n)),
);

/** One header: absent, the right value, a wrong one, or sent twice (both right, right and wrong, ...). */
function header(right: () => string) {
  return fc.oneof(
    { arbitrary: fc.constant<string[]>([]), weight: 1 },
    { arbitrary: fc.constant(null).map(() => [right()]), weight: 3 },
    { arbitrary: headerText.map((v) => [v]), weight: 2 },
    { arbitrary: fc.tuple(fc.oneof(fc.constant(null).map(right), headerText), fc.oneof(fc.constant(null).map(right), headerText)).map(([a, b]) => [a, b]), weight: 1 },
  );
}

const notification = fc.record({
  method: fc.oneof({ arbitrary: fc.constant('POST'), weight: 6 }, fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD')),
  channelId: header(() => channel.channelId),
  token: header(() => channel.token),
  resourceId: header(() => channel.resourceId),
  state: fc.oneof(header(() => 'exists'), fc.constantFrom<string[]>(['sync'], ['not_exists'])),
  number: fc.oneof(header(() => String(++messageNumber)), fc.constantFrom<string[]>(['1'], [String(Number.MAX_SAFE_INTEGER)], [String(2 ** 63)])),
  body: fc.oneof(
    { arbitrary: fc.constant<string | undefined>(undefined), weight: 4 },
    fc.constantFrom('', '{}', 'x'.repeat(1024), 'x'.repeat(1025), 'x'.repeat(100_000)),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  ),
  contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data'),
  encoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'identity', 'br', 'bogus'),
});

describe('the webhook, fuzzed', () => {
  it('never answers 5xx; a refusal calls no Google API and changes no sync state; nothing writes to Google', async () => {
    await fc.assert(
      fc.asyncProperty(notification, async (n) => {
        const headers: Array<[string, string]> = [];
        const add = (name: string, values: readonly string[]) => values.forEach((v) => headers.push([name, v]));
        add('x-goog-channel-id', n.channelId);
        add('x-goog-channel-token', n.token);
        add('x-goog-resource-id', n.resourceId);
        add('x-goog-resource-state', n.state);
        add('x-goog-message-number', n.number);
        if (n.contentType) headers.push(['content-type', n.contentType]);
        if (n.encoding) headers.push(['content-encoding', n.encoding]);

        const before = await observe(sys);
        const res = await send(sys, { method: n.method, path: PATH, headers, body: n.body });
        expect(res.status, res.text.slice(0, 200)).toBeLessThan(500);
        const after = await observe(sys);
        expect(after.googleWrites, 'a Google write call').toBe(before.googleWrites);
        expect(after.events, 'calendar_events changed without a Google change').toBe(before.events);
        if (res.status >= 400) {
          expect(after.googleCalls, 'a Google call for a refused notification').toBe(before.googleCalls);
          expect(after.syncStates, 'calendar_sync_states changed by a refused notification').toBe(before.syncStates);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('still accepts a genuine notification afterwards (the fuzzing broke nothing)', async () => {
    const res = await send(sys, {
      method: 'POST',
      path: PATH,
      headers: [
        ['x-goog-channel-id', channel.channelId],
        ['x-goog-channel-token', channel.token],
        ['x-goog-resource-id', channel.resourceId],
        ['x-goog-resource-state', 'exists'],
        ['x-goog-message-number', String(++messageNumber)],
      ],
    });
    expect(res.status).toBe(200);
  });
});
