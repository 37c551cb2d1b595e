import { readSyncHealth, type SyncHealth } from '@calsync/calendar';
import type { EntityManager } from '@calsync/db';
import { GoogleApiError } from '@calsync/google';
import express, { type Router } from 'express';
import type { Logger } from '../logger.ts';

export const CALENDAR_HEALTH_PATH = '/health/calendar';

export interface CalendarHealthDeps {
  /** A fresh unit of work per probe. */
  em: () => EntityManager;
  /** Obtains (or reuses) a Google access token; rejects when none can be had. */
  checkGoogleAccess: () => Promise<void>;
  maxSyncAgeMs: number;
  logger: Logger;
  now?: () => Date;
  /** How long a token check's result is reused: probes every few seconds must not hit Google's token endpoint each time. */
  googleCacheMs?: number;
  googleTimeoutMs?: number;
  databaseTimeoutMs?: number;
}

interface AccessResult {
  ok: boolean;
  /** Safe to show: an error kind and status, never the error's message (it may quote the request). */
  problem: string | undefined;
  checkedAt: Date;
}

/**
 * The result of the last Google token check, reused for `cacheMs`; concurrent probes share one
 * check in flight. A check that outlives the probe's patience still lands in the cache.
 */
class CachedAccessCheck {
  private last: AccessResult | undefined;
  private inFlight: Promise<AccessResult> | undefined;

  constructor(
    private readonly check: () => Promise<void>,
    private readonly cacheMs: number,
    private readonly now: () => Date,
    private readonly logger: Logger,
  ) {}

  get(): Promise<AccessResult> {
    if (this.last && this.now().getTime() - this.last.checkedAt.getTime() < this.cacheMs) return Promise.resolve(this.last);
    this.inFlight ??= this.check().then(
      () => ({ ok: true, problem: undefined, checkedAt: this.now() }),
      (err: unknown) => {
        this.logger.warn({ err }, 'health: no Google access token');
        const problem = err instanceof GoogleApiError ? `${err.kind}${err.status ? ` (HTTP ${err.status})` : ''}` : 'unexpected error';
        return { ok: false, problem, checkedAt: this.now() };
      },
    ).then((result) => {
      this.last = result;
      this.inFlight = undefined;
      return result;
    });
    return this.inFlight;
  }
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

/**
 * GET /health/calendar: readiness and diagnostics for on-call. Open without authentication, so it
 * shows only states and ages: no secrets, tokens, channel ids or event data. 200 when the
 * database answers, a Google token can be had, and every watched calendar has a live channel and
 * a recent sync; otherwise 503 with the reasons.
 */
export function calendarHealthRouter(deps: CalendarHealthDeps): Router {
  const now = deps.now ?? (() => new Date());
  const google = new CachedAccessCheck(deps.checkGoogleAccess, deps.googleCacheMs ?? 30_000, now, deps.logger);
  const googleTimeoutMs = deps.googleTimeoutMs ?? 3_000;
  const databaseTimeoutMs = deps.databaseTimeoutMs ?? 2_000;
  const router = express.Router();

  router.get(CALENDAR_HEALTH_PATH, async (_req, res) => {
    const reasons: string[] = [];
    const [database, access] = await Promise.all([checkDatabase(), within(google.get(), googleTimeoutMs)]);

    if (!database.ok) reasons.push(`database: ${database.problem}`);
    if (access === 'timeout') reasons.push(`google: access token check did not finish within ${googleTimeoutMs} ms`);
    else if (!access.ok) reasons.push(`google: no access token: ${access.problem ?? 'unknown'}`);

    let calendars: SyncHealth['calendars'] | null = null;
    if (database.ok) {
      try {
        const health = await readSyncHealth(deps.em(), { now: now(), maxSyncAgeMs: deps.maxSyncAgeMs });
        calendars = health.calendars;
        reasons.push(...health.reasons);
      } catch (err) {
        deps.logger.warn({ err }, 'health: could not read the sync states');
        reasons.push('database: could not read the sync states');
      }
    }

    res
      .status(reasons.length ? 503 : 200)
      .set('Cache-Control', 'no-store')
      .json({
        status: reasons.length ? 'degraded' : 'ok',
        reasons,
        checkedAt: now().toISOString(),
        database: { ok: database.ok },
        google: access === 'timeout' ? { ok: false, checkedAt: null } : { ok: access.ok, checkedAt: access.checkedAt.toISOString() },
        maxSyncAgeSeconds: Math.round(deps.maxSyncAgeMs / 1000),
        calendars,
      });
  });
  return router;

  /**
   * `select 1`, bounded: a database that hangs (network partition, exhausted pool) must make the
   * probe fail quickly rather than hold it until the prober's own timeout.
   */
  async function checkDatabase(): Promise<{ ok: true } | { ok: false; problem: string }> {
    try {
      if ((await within(deps.em().execute('select 1'), databaseTimeoutMs)) !== 'timeout') return { ok: true };
      const problem = `no answer within ${databaseTimeoutMs} ms`;
      deps.logger.warn({ problem }, 'health: database unreachable');
      return { ok: false, problem };
    } catch (err) {
      deps.logger.warn({ err }, 'health: database unreachable');
      // Only a code: driver messages can name hosts and users.
      const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' && /^[A-Z0-9_]{1,20}$/.test(err.code) ? ` (${err.code})` : '';
      return { ok: false, problem: `unreachable${code}` };
    }
  }
}
