import { expect, it } from 'vitest';
import { runWithLogFields, addLogFields } from './log-context.ts';
import { createLogger } from './logger.ts';

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
