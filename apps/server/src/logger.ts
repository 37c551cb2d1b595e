import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { currentLogFields } from './log-context.ts';

export type { Logger };

/**
 * Keys (any case) whose values are credentials wherever they appear: request headers, error objects of
 * HTTP clients (gaxios puts the request's headers and form body on its errors), config objects.
 */
const SECRET_KEYS = [
  'authorization',
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

/** Header names that carry credentials (headers are logged lower-case, gaxios keeps their case). */
const SECRET_HEADERS = ['authorization', 'cookie', 'x-goog-channel-token', 'set-cookie'];

const SECRET = new Set([...SECRET_KEYS, ...SECRET_HEADERS].map((k) => k.toLowerCase()));
const CENSOR = '[redacted]';
/** Deeper than any line we write; cycles and giant objects stop here. */
const MAX_DEPTH = 8;

/**
 * Censors the value of every key named like a credential, at any depth, case-insensitively,
 * without touching the caller's objects (parents of a censored value are copied, the rest is
 * shared). Errors are serialised first (their fields are what gets logged). Cost: a scan of the
 * line's keys, ~1 us for a request line; pino's path-based redaction with wildcards at the depths
 * we need cost ~100 us per line, more than the rest of a list request's logging.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || ArrayBuffer.isView(value)) return value;
  if (value instanceof Error) return redactSecrets(stdSerializers.err(value), depth);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactSecrets(item, depth + 1);
      if (redacted !== item) (copy ??= [...value])[i] = redacted;
    }
    return copy ?? value;
  }
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const item = source[key];
    const redacted = SECRET.has(key.toLowerCase()) ? (item === undefined || item === null ? item : CENSOR) : redactSecrets(item, depth + 1);
    if (redacted !== item) (copy ??= { ...source })[key] = redacted;
  }
  return copy ?? value;
}

/** The err serializer after redactSecrets has already turned errors into plain objects. */
const serializeError = (err: unknown): unknown => (err instanceof Error ? stdSerializers.err(err) : err);

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
      formatters: {
        log: (line) => redactSecrets(line) as Record<string, unknown>,
        bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
      },
      serializers: { err: serializeError },
      // Request id, user, calendar, channel of the request being served, on every line written
      // for it, including lines from packages that only got the process-wide logger.
      mixin: () => currentLogFields(),
    },
    destination ?? pino.destination(1),
  );
}
