import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { DEFAULT_SYNC_PACING } from '@calsync/calendar';
import { DEFAULT_QUOTA_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY_POLICY, MAX_CHANNEL_TTL_SECONDS } from '@calsync/google';
import { DEFAULT_JOBS_CONFIG, type JobsConfig } from '@calsync/jobs';
import { z } from 'zod';

/**
 * The service's whole configuration, parsed once from the environment at start-up. Nothing else
 * reads the environment: packages get these values as arguments. A setting a package uses takes
 * its default from that package's constant; only the app's own settings have their default here.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  http: {
    /** Origins allowed to call the API (/trpc and the REST routes) from a browser; empty = no CORS headers at all. */
    corsOrigins: string[];
    /**
     * Proxies whose X-Forwarded-For is believed (Express's `trust proxy`): false = none, a number =
     * that many hops in front of us, or addresses / CIDRs / Express's names (loopback, linklocal,
     * uniquelocal). Decides the client address that rate limits and logs use.
     */
    trustProxy: false | number | string[];
    /** Requests allowed per window; 0 = no limit. */
    rateLimit: { apiPerMinute: number; webhookPerMinute: number };
  };
  /** How long in-flight requests get to finish on shutdown. */
  shutdownGraceMs: number;
  database: { url: string | undefined; embeddedDataDir: string | undefined };
  auth: {
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    /** Who is an admin: the claim at `path` (dotted) equals `value` (or is a list holding it). */
    adminClaim: { path: string; value: string };
  };
  google: {
    /** Parsed service-account key; undefined = run against the in-process emulator. */
    credentials: { client_email: string; private_key: string; private_key_id?: string | undefined; client_id?: string | undefined } | undefined;
    /** Shared mode: the calendar every user shares (`primary` = the acting principal's own). */
    calendarId: string;
    /** Shared mode: the Workspace user the service account acts as for it. */
    impersonateUser: string | undefined;
    /**
     * Set: every user of these Workspace domains connects their own calendar (domain-wide
     * delegation). Unset: shared mode. Development with the built-in emulator defaults to its domain.
     */
    workspaceDomains: string[] | undefined;
    apiBaseUrl: string | undefined;
    timeoutMs: number;
    retry: { maxAttempts: number; maxTotalMs: number };
    /** Google's quotas as this process's limits. */
    quota: { perUserPerMinute: number; perProjectPerMinute: number; maxConcurrent: number };
  };
  emulator: { port: number };
  jobs: {
    enabled: boolean;
    /** Interval of each job, and the other job settings, in the jobs package's shape. */
    config: JobsConfig;
    dashboard: { user: string; password: string } | undefined;
  };
  sync: {
    /** Public base URL of this service for Google's push notifications; undefined = this server's own URL (dev). */
    webhookBaseUrl: string | undefined;
    /** Derives the per-channel tokens; undefined = random per run (dev only). */
    webhookSecret: string | undefined;
    channelTtlSeconds: number;
    /** Syncs of one calendar in a burst at least this far apart; 0 = no coalescing. */
    minIntervalMs: number;
    /** During a burst of notifications the next sync waits until they pause this long... */
    burstQuietMs: number;
    /** ...but never longer than this after the first notification that waits for it. */
    burstMaxWaitMs: number;
    /** Notifications still due for changes a sync already brought get one check sync once they pause this long. */
    expectedQuietMs: number;
    /** Lone notifications of a calendar that sync at once before bursts begin (grows back one per minIntervalMs). */
    immediateBudget: number;
    /** Syncs running at once across all calendars (per process). */
    maxConcurrent: number;
  };
  metrics: {
    /** Bearer token of GET /metrics; undefined = generated in development, /metrics off in production. */
    token: string | undefined;
  };
  health: {
    /** A watched calendar whose last successful sync is older than this makes /health/calendar 503. */
    maxSyncAgeMs: number;
  };
}

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "500ms", "30 seconds", "6 hours", "1 day" or plain milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?|w|weeks?)?$/i.exec(value.trim());
  if (!match?.[1]) return undefined;
  const unit = (match[2] ?? 'ms').toLowerCase();
  const key = unit.startsWith('ms') || unit.startsWith('milli') ? 'ms' : unit[0] ?? 'ms';
  return Math.round(Number(match[1]) * (UNIT_MS[key] ?? 1));
}

/** A duration variable, in milliseconds; `fallbackMs` when unset. */
const duration = (fallbackMs: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallbackMs;
      const ms = parseDuration(v);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as "30 seconds", "6 hours" or "1 day"' });
        return z.NEVER;
      }
      return ms;
    });

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

/** An address, a CIDR (address/prefix) or one of the names Express's `trust proxy` knows. */
function isTrustedProxyEntry(entry: string): boolean {
  if (entry === 'loopback' || entry === 'linklocal' || entry === 'uniquelocal') return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SHUTDOWN_GRACE: duration(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: optional.transform((v, ctx) => {
    const origins = (v ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
    for (const origin of origins) {
      // Browsers send the bare origin; a path, a wildcard or a typo would silently never match.
      if (!/^https?:\/\/[^/\s*]+$/.test(origin)) ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin such as https://crm.example.com` });
    }
    return origins;
  }),
  TRUST_PROXY: optional.transform((v, ctx): false | number | string[] => {
    if (v === undefined) return false;
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops >= 1 && hops <= 10) return hops;
      ctx.addIssue({ code: 'custom', message: 'a number of proxies must be between 1 and 10' });
      return z.NEVER;
    }
    const entries = v.split(',').map((e) => e.trim()).filter((e) => e !== '');
    for (const entry of entries) {
      if (!isTrustedProxyEntry(entry)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${entry}" is not a number of proxies, an address, a CIDR or one of loopback, linklocal, uniquelocal (trusting every proxy would let any client pick its own address)`,
        });
      }
    }
    return entries.length > 0 ? entries : false;
  }),
  RATE_LIMIT_API_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  RATE_LIMIT_WEBHOOK_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(3000),
  DATABASE_URL: optional.pipe(z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional()),
  EMBEDDED_PG_DATA_DIR: optional,
  AUTH_JWT_SECRET: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  AUTH_JWKS_URL: optional.pipe(z.url().optional()),
  AUTH_ISSUER: optional,
  AUTH_AUDIENCE: optional,
  AUTH_ADMIN_CLAIM: optional.transform((v) => v ?? 'role'),
  AUTH_ADMIN_VALUE: optional.transform((v) => v ?? 'admin'),
  GOOGLE_SERVICE_ACCOUNT_JSON: optional,
  GOOGLE_CALENDAR_ID: optional.transform((v) => v ?? 'primary'),
  GOOGLE_IMPERSONATE_USER: optional.pipe(z.email().optional()),
  GOOGLE_API_BASE_URL: optional.pipe(z.url().optional()),
  GOOGLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
  GOOGLE_RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(DEFAULT_RETRY_POLICY.maxAttempts),
  GOOGLE_RETRY_MAX_TOTAL: duration(DEFAULT_RETRY_POLICY.maxTotalMs),
  GOOGLE_WORKSPACE_DOMAINS: optional.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const domains = v.split(',').map((d) => d.trim().toLowerCase()).filter((d) => d !== '');
    for (const domain of domains) {
      if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) ctx.addIssue({ code: 'custom', message: `"${domain}" is not a domain such as acme.com` });
    }
    return domains.length > 0 ? domains : undefined;
  }),
  GOOGLE_QUOTA_PER_USER_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_QUOTA_LIMITS.perUserPerMinute),
  GOOGLE_QUOTA_PER_PROJECT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).default(DEFAULT_QUOTA_LIMITS.perProjectPerMinute),
  GOOGLE_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(DEFAULT_QUOTA_LIMITS.maxConcurrent),
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  WEBHOOK_BASE_URL: optional.pipe(z.url({ protocol: /^https?$/ }).optional()),
  WEBHOOK_SECRET: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  WATCH_CHANNEL_TTL_SECONDS: z.coerce.number().int().min(60).max(MAX_CHANNEL_TTL_SECONDS).default(MAX_CHANNEL_TTL_SECONDS),
  SYNC_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_SYNC_PACING.minIntervalMs),
  SYNC_BURST_QUIET_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_SYNC_PACING.burstQuietMs),
  SYNC_BURST_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_SYNC_PACING.burstMaxWaitMs),
  SYNC_EXPECTED_QUIET_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_SYNC_PACING.expectedQuietMs),
  SYNC_IMMEDIATE_BUDGET: z.coerce.number().int().min(0).max(100).default(DEFAULT_SYNC_PACING.immediateBudget),
  SYNC_MAX_CONCURRENT: z.coerce.number().int().min(1).max(1000).default(DEFAULT_SYNC_PACING.maxConcurrent),
  JOBS_ENABLED: bool(true),
  JOB_RENEW_CHANNELS_EVERY: duration(DEFAULT_JOBS_CONFIG.every['renew-channels']),
  JOB_RECONCILE_EVERY: duration(DEFAULT_JOBS_CONFIG.every.reconcile),
  JOB_CLEANUP_EVERY: duration(DEFAULT_JOBS_CONFIG.every.cleanup),
  JOBS_PROCESS_EVERY: duration(DEFAULT_JOBS_CONFIG.processEveryMs),
  FULL_SYNC_EVERY: duration(DEFAULT_JOBS_CONFIG.fullSyncEveryMs),
  JOB_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(DEFAULT_JOBS_CONFIG.concurrency),
  JOB_CALENDARS_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_JOBS_CONFIG.calendarsPerMinute),
  JOB_FAILURE_BACKOFF: duration(DEFAULT_JOBS_CONFIG.failureBackoff.baseMs),
  JOB_FAILURE_BACKOFF_MAX: duration(DEFAULT_JOBS_CONFIG.failureBackoff.maxMs),
  CHANNEL_RENEW_BEFORE: duration(DEFAULT_JOBS_CONFIG.renewBeforeMs),
  SILENT_CHANNEL_AFTER: duration(DEFAULT_JOBS_CONFIG.silentChannelAfterMs),
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(DEFAULT_JOBS_CONFIG.eventRetentionDays),
  CANCELLED_EVENT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(DEFAULT_JOBS_CONFIG.cancelledRetentionDays),
  JOB_HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(DEFAULT_JOBS_CONFIG.historyRetentionDays),
  JOBS_DASHBOARD_USER: optional,
  JOBS_DASHBOARD_PASSWORD: optional.pipe(z.string().min(12, 'must be at least 12 characters').optional()),
  METRICS_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  HEALTH_MAX_SYNC_AGE: duration(2 * 3_600_000),
});

const ServiceAccountKey = z.object({
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
  // What a Workspace admin enters under domain-wide delegation: messages name it.
  client_id: z.string().optional(),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const credentials = e.GOOGLE_SERVICE_ACCOUNT_JSON ? parseServiceAccount(e.GOOGLE_SERVICE_ACCOUNT_JSON) : undefined;

  if (e.NODE_ENV === 'production') {
    const missing = [
      !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL ? 'AUTH_JWT_SECRET or AUTH_JWKS_URL' : null,
      !credentials ? 'GOOGLE_SERVICE_ACCOUNT_JSON' : null,
      !e.DATABASE_URL ? 'DATABASE_URL' : null,
      !e.WEBHOOK_SECRET ? 'WEBHOOK_SECRET' : null,
      // Google only delivers to public HTTPS endpoints.
      !e.WEBHOOK_BASE_URL?.startsWith('https://') ? 'WEBHOOK_BASE_URL (https://...)' : null,
    ].filter((m): m is string => m !== null);
    if (missing.length) throw new ConfigError(`NODE_ENV=production requires ${missing.join(', ')}.`);
  }

  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    http: {
      corsOrigins: e.CORS_ORIGINS,
      trustProxy: e.TRUST_PROXY,
      rateLimit: { apiPerMinute: e.RATE_LIMIT_API_PER_MINUTE, webhookPerMinute: e.RATE_LIMIT_WEBHOOK_PER_MINUTE },
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE,
    database: { url: e.DATABASE_URL, embeddedDataDir: e.EMBEDDED_PG_DATA_DIR },
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      adminClaim: { path: e.AUTH_ADMIN_CLAIM, value: e.AUTH_ADMIN_VALUE },
    },
    google: {
      credentials,
      calendarId: e.GOOGLE_CALENDAR_ID,
      impersonateUser: e.GOOGLE_IMPERSONATE_USER,
      workspaceDomains: e.GOOGLE_WORKSPACE_DOMAINS,
      apiBaseUrl: e.GOOGLE_API_BASE_URL,
      timeoutMs: e.GOOGLE_TIMEOUT_MS,
      retry: { maxAttempts: e.GOOGLE_RETRY_MAX_ATTEMPTS, maxTotalMs: e.GOOGLE_RETRY_MAX_TOTAL },
      quota: { perUserPerMinute: e.GOOGLE_QUOTA_PER_USER_PER_MINUTE, perProjectPerMinute: e.GOOGLE_QUOTA_PER_PROJECT_PER_MINUTE, maxConcurrent: e.GOOGLE_MAX_CONCURRENCY },
    },
    emulator: { port: e.EMULATOR_PORT },
    jobs: {
      enabled: e.JOBS_ENABLED,
      config: {
        every: { 'renew-channels': e.JOB_RENEW_CHANNELS_EVERY, reconcile: e.JOB_RECONCILE_EVERY, cleanup: e.JOB_CLEANUP_EVERY },
        renewBeforeMs: e.CHANNEL_RENEW_BEFORE,
        silentChannelAfterMs: e.SILENT_CHANNEL_AFTER,
        eventRetentionDays: e.EVENT_RETENTION_DAYS,
        cancelledRetentionDays: e.CANCELLED_EVENT_RETENTION_DAYS,
        historyRetentionDays: e.JOB_HISTORY_RETENTION_DAYS,
        processEveryMs: e.JOBS_PROCESS_EVERY,
        concurrency: e.JOB_CONCURRENCY,
        calendarsPerMinute: e.JOB_CALENDARS_PER_MINUTE,
        fullSyncEveryMs: e.FULL_SYNC_EVERY,
        failureBackoff: { baseMs: e.JOB_FAILURE_BACKOFF, maxMs: e.JOB_FAILURE_BACKOFF_MAX },
      },
      dashboard: e.JOBS_DASHBOARD_USER && e.JOBS_DASHBOARD_PASSWORD ? { user: e.JOBS_DASHBOARD_USER, password: e.JOBS_DASHBOARD_PASSWORD } : undefined,
    },
    sync: {
      webhookBaseUrl: e.WEBHOOK_BASE_URL,
      webhookSecret: e.WEBHOOK_SECRET,
      channelTtlSeconds: e.WATCH_CHANNEL_TTL_SECONDS,
      minIntervalMs: e.SYNC_MIN_INTERVAL_MS,
      burstQuietMs: e.SYNC_BURST_QUIET_MS,
      burstMaxWaitMs: e.SYNC_BURST_MAX_WAIT_MS,
      expectedQuietMs: e.SYNC_EXPECTED_QUIET_MS,
      immediateBudget: e.SYNC_IMMEDIATE_BUDGET,
      maxConcurrent: e.SYNC_MAX_CONCURRENT,
    },
    metrics: { token: e.METRICS_TOKEN },
    health: { maxSyncAgeMs: e.HEALTH_MAX_SYNC_AGE },
  };
}

/** GOOGLE_SERVICE_ACCOUNT_JSON holds the key JSON itself or a path to the key file. */
function parseServiceAccount(value: string): Config['google']['credentials'] {
  let text = value;
  if (!value.startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch {
      throw new ConfigError('GOOGLE_SERVICE_ACCOUNT_JSON: neither JSON nor a readable file path');
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError('GOOGLE_SERVICE_ACCOUNT_JSON: not valid JSON');
  }
  const key = ServiceAccountKey.safeParse(json);
  // Never echo the content: it holds the private key.
  if (!key.success) throw new ConfigError('GOOGLE_SERVICE_ACCOUNT_JSON: not a service-account key (needs client_email and private_key)');
  return key.data;
}
