import { expect, it } from 'vitest';
import { runWithLogFields, addLogFields } from './log-context.ts';
import { createLogger, redactSecrets } from './logger.ts';

function capture() {
  let out = '';
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void (out += line) } });
  return { logger, text: () => out };
}

it('censors credentials at the depths our lines nest them', () => {
  const { logger, text } = capture();
  logger.info({
    req: { headers: { authorization: 'Bearer s1', cookie: 's2', 'x-goog-channel-token': 's3' } },
    // The shape of a gaxios error: the request's headers and form body travel with it.
    err: { config: { headers: { Authorization: 'Bearer s4' }, data: { assertion: 's5' } }, response: { data: { access_token: 's6' } } },
    credentials: { private_key: 's7', client_email: 'sa@example.com' },
    token: 's8',
    webhookSecret: 's9',
    password: 's10',
  });
  const line = text();
  for (const secret of ['"s1', '"s2"', '"s3"', 's4', '"s5"', '"s6"', '"s7"', '"s8"', '"s9"', '"s10"']) expect(line).not.toContain(secret);
  expect(line).toContain('sa@example.com');
});

it('censors credentials at any depth and in any case, in errors too, without changing the logged objects', () => {
  const { logger, text } = capture();
  // A client library's error: the request's config travels as own properties of the Error.
  const err = Object.assign(new Error('request failed'), { config: { url: 'https://oauth2.example/token', headers: { AUTHORIZATION: 'Bearer e1' }, body: { nested: [{ Client_Secret: 'e2' }] } } });
  const context = { deep: { deeper: { deepest: { even: { more: { apiKey: 'e3', kept: 'visible-1' } } } } }, list: [{ token: 'e4' }, 'visible-2'] };
  logger.error({ err, context }, 'it failed');
  logger.warn({ cause: new Error('wrapped', { cause: Object.assign(new Error('inner'), { password: 'e5' }) }) }, 'nested errors');
  const out = text();
  for (const secret of ['e1', 'e2', 'e3', 'e4', 'e5']) expect(out).not.toMatch(new RegExp(`"${secret}"|Bearer ${secret}`));
  for (const kept of ['visible-1', 'visible-2', 'request failed', 'oauth2.example', 'wrapped']) expect(out).toContain(kept);
  const [first] = out.trim().split('\n').map((l) => JSON.parse(l) as { err: { type: string; message: string; stack: string } });
  // Still logged as an error, with its type and stack.
  expect(first?.err).toMatchObject({ type: 'Error', message: 'request failed' });
  expect(first?.err.stack).toContain('logger.test.ts');
  // The caller's objects are untouched.
  expect(err.config.headers.AUTHORIZATION).toBe('Bearer e1');
  expect(context.list[0]).toEqual({ token: 'e4' });
});

it('returns the very same object when there is nothing to censor (no copy per line)', () => {
  const line = { requestId: 'r', req: { method: 'GET', url: '/x' }, res: { statusCode: 200 }, list: [1, { a: 2 }] };
  expect(redactSecrets(line)).toBe(line);
});

it('adds the current request fields to every line, once', () => {
  const { logger, text } = capture();
  runWithLogFields({ requestId: 'r-1' }, () => {
    addLogFields({ userId: 'u-1' });
    logger.info('inside');
    logger.child({ component: 'x' }).info({ requestId: 'r-1' }, 'child');
  });
  logger.info('outside');
  const [inside, child, outside] = text()
    .trim()
    .split('\n')
    .map((l) => l);
  expect(JSON.parse(inside ?? '')).toMatchObject({ requestId: 'r-1', userId: 'u-1' });
  expect(child?.match(/"requestId"/g)).toHaveLength(1);
  expect(JSON.parse(outside ?? '')).not.toHaveProperty('requestId');
});
