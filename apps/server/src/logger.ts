import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { currentLogFields } from './log-context.ts';

export type { Logger };

/**
 * Keys whose values are credentials wherever they appear: request headers, error objects of
 * HTTP clients (gaxios puts the request's headers and form body on its errors), config objects.
 */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'id_token',
  'assertion',
  'secret',
  'clientSecret',
  'client_secret',
  'jwtSecret',
  'webhookSecret',
  'channelToken',
  'password',
  'private_key',
  'privateKey',
  'apiKey',
  'api_key',
];

/** Header names that are not valid identifiers need bracket notation. */
const SECRET_HEADERS = ['authorization', 'cookie', 'x-goog-channel-token', 'set-cookie'];

/**
 * The redaction works on paths, not on key names anywhere, so every key is listed at the depths
 * our lines actually nest (a line's own fields, `err.*`, `err.config.headers.*`, `req.headers.*`).
 */
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `res.headers["${h}"]`, `headers["${h}"]`, `*.headers["${h}"]`]),
];

export interface LoggerOptions {
  level: string;
  /** Human-readable lines (development at a terminal); JSON lines otherwise. */
  pretty?: boolean;
  /** Where lines go; stdout when omitted (tests capture lines with their own stream). */
  destination?: DestinationStream;
}

/** The one place logging is configured. Secrets are redacted wherever they might appear. */
export function createLogger(opts: LoggerOptions): Logger {
  const destination = opts.destination ?? (opts.pretty ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : undefined);
  return pino(
    {
      level: opts.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Request id, user, calendar, channel of the request being served, on every line written
      // for it, including lines from packages that only got the process-wide logger.
      mixin: () => currentLogFields(),
    },
    destination ?? pino.destination(1),
  );
}
