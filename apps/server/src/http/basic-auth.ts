import { createHash, timingSafeEqual } from 'node:crypto';
import { errorBody } from '@calsync/api';
import type { RequestHandler } from 'express';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** HTTP Basic authentication against one user/password pair, compared in constant time. */
export function basicAuth(credentials: { user: string; password: string }, realm: string): RequestHandler {
  const expected = digest(`${credentials.user}:${credentials.password}`);
  return (req, res, next) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization') ?? '');
    const given = match?.[1] ? digest(Buffer.from(match[1], 'base64').toString('utf8')) : null;
    if (given && timingSafeEqual(given, expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`).status(401).json(errorBody('UNAUTHORIZED', 'Credentials required.'));
  };
}
