import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appRouter, createTokenVerifier, errorBody, INTERNAL_ERROR_MESSAGE, signToken, type ApiDeps } from '@calsync/api';
import { summarizeCalendars } from '@calsync/calendar';
import { JobScheduler } from '@calsync/jobs';
import { createExpressMiddleware as createAgendashMiddleware } from 'agendash';
import express, { type ErrorRequestHandler } from 'express';
import type { Config } from './config.ts';
import { basicAuth } from './http/basic-auth.ts';
import { corsFor, REST_CORS, securityHeaders, TRPC_CORS } from './http/protection.ts';
import { createRateLimits, type RateLimits } from './http/rate-limit.ts';
import { requestLogging } from './http/request-logging.ts';
import { trpcHandler } from './http/trpc.ts';
import { DOCS_PATH, OPENAPI_PATH, REST_PREFIX, restRouter } from './http/rest.ts';
import { CALENDAR_HEALTH_PATH, calendarHealthRouter } from './http/health.ts';
import { METRICS_PATH, metricsRouter } from './http/metrics-route.ts';
import { requestMetrics } from './http/request-metrics.ts';
import { notificationUrl, WEBHOOK_PATH, webhookRateLimit, webhookRouter } from './http/webhook.ts';
import { webPage } from './http/web-page.ts';
import type { Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { DEV_DOMAIN } from './google.ts';
import { addLogFields } from './log-context.ts';
import { buildServices } from './services.ts';

export interface RunningApp {
  url: string;
  /**
   * Present in development when no auth secret was configured: ready-to-use tokens, one per
   * user of the emulator's Workspace domain (or one user of the shared calendar).
   */
  devTokens: Array<{ label: string; email: string; admin: boolean; token: string }> | undefined;
  emulatorUrl: string | undefined;
  /** Present in development when no dashboard credentials were configured. */
  devDashboard: { user: string; password: string } | undefined;
  /** Present in development when METRICS_TOKEN was not configured: the bearer token of /metrics. */
  devMetricsToken: string | undefined;
  jobs: JobScheduler | undefined;
  /** Resolves when no sync is running or queued and every notification taken in is recorded (tests, benchmarks). */
  syncIdle(): Promise<void>;
  /**
   * Drops per-user state whose time is over (quota counts of the last minute, rate-limit leases,
   * remembered tokens): at rest after many users came through, before memory is released.
   */
  forgetExpired(): void;
  close(): Promise<void>;
}

/** `{a: {b: value}}` for the dotted claim path `a.b`: the admin claim of a dev token. */
function claimAt(path: string, value: string): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

export interface StartOptions {
  /** The jobs' clock (default: the system clock); tests move it on to see what time passing does. */
  now?: () => Date;
}

/** Builds everything from the config and starts serving. The composition root. */
export async function startApp(config: Config, logger: Logger, opts: StartOptions = {}): Promise<RunningApp> {
  // Listen first: in development the webhook address is this server's own URL. Until the app is
  // ready, requests get 503 rather than hanging.
  let handler: RequestListener | undefined;
  const server = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  let serverClosed: Promise<void> | undefined;
  // Stop accepting; requests in flight finish (idle keep-alive sockets close now), and whatever
  // is still open after the grace period is cut.
  const closeServer = () =>
    (serverClosed ??= new Promise<void>((resolve) => {
      const cut = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    }));
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  let services: Awaited<ReturnType<typeof buildServices>> | undefined;
  let jobs: JobScheduler | undefined;
  let rateLimits: RateLimits | undefined;
  // Stop accepting requests, let running jobs and the sync in progress finish, then the pools.
  const close = async () => {
    // Live-update streams never finish on their own: end them so the server's close does not
    // wait its whole grace period for open pages.
    services?.changes.close();
    await closeServer();
    // Calls queued under Google's quotas would hold the jobs' stop up to a minute: they fail now
    // (retryable; the next run or the other processes redo them).
    services?.google.gateway.close();
    await jobs?.stop();
    // Before the services: they may stop the (embedded) database this pool talks to.
    await rateLimits?.close();
    await services?.close();
  };
  const metrics = createMetrics({
    logger,
    calendarSummary: async () => {
      if (!services) throw new Error('not started yet');
      return summarizeCalendars(services.db.orm.em.fork(), { now: new Date(), expiringWithinMs: 24 * 3600_000, maxSyncAgeMs: config.health.maxSyncAgeMs });
    },
    queuedGoogleCalls: () => services?.google.gateway.queuedCalls ?? 0,
  });
  try {
    services = await buildServices(config, logger, {
      notificationUrl: notificationUrl(config.sync.webhookBaseUrl ?? url),
      observers: { google: metrics.google, sync: metrics.sync },
    });
    const { db, google, sync, watch, syncScheduler, receiver, events, availability, changes, calendars } = services;
    rateLimits = await createRateLimits({ databaseUrl: db.url, config: config.http.rateLimit, logger });

    let jwtSecret = config.auth.jwtSecret;
    let devTokens: RunningApp['devTokens'];
    if (!jwtSecret && !config.auth.jwksUrl) {
      // loadConfig refuses production without a secret, so this is development only.
      const secret = (jwtSecret = randomBytes(32).toString('base64url'));
      const users = google.devUsers ?? [{ email: `dev.user@${DEV_DOMAIN}`, label: 'Dev user', admin: false }];
      const { path, value } = config.auth.adminClaim;
      devTokens = await Promise.all(
        users.map(async (u) => ({
          ...u,
          token: await signToken(secret, u.email, { expiresIn: '30d', email: u.email, ...(u.admin ? { claims: claimAt(path, value) } : {}) }),
        })),
      );
    }

    let dashboard = config.jobs.dashboard;
    let devDashboard: RunningApp['devDashboard'];
    if (config.jobs.enabled) {
      jobs = new JobScheduler({
        databaseUrl: db.url,
        context: { em: db.orm.em, sync, watch, config: config.jobs.config, logger, now: opts.now ?? (() => new Date()) },
        observer: metrics.jobs,
      });
      await jobs.start();
      if (!dashboard && config.env !== 'production') {
        dashboard = devDashboard = { user: 'dev', password: randomBytes(12).toString('base64url') };
      }
    }

    let metricsToken = config.metrics.token;
    let devMetricsToken: string | undefined;
    if (!metricsToken && config.env !== 'production') metricsToken = devMetricsToken = randomBytes(24).toString('base64url');
    else if (!metricsToken) logger.info('METRICS_TOKEN is not set: /metrics is off');

    const deps: ApiDeps = {
      events,
      availability,
      sync,
      watch,
      changes,
      calendars,
      verifyToken: createTokenVerifier({ ...config.auth, jwtSecret }),
      observeScope: (scope) => addLogFields({ calendarId: scope.calendarId }),
    };

    const app = express();
    app.disable('x-powered-by');
    // Whose X-Forwarded-For to believe: the client address of rate limits and request lines.
    app.set('trust proxy', config.http.trustProxy);
    // First, so every answer is timed, refusals by later middleware included.
    app.use(
      requestMetrics(
        { paths: ['/health', CALENDAR_HEALTH_PATH, METRICS_PATH, WEBHOOK_PATH, OPENAPI_PATH, DOCS_PATH], prefixes: ['/jobs', REST_PREFIX], procedures: Object.keys(appRouter._def.procedures) },
        (o) => metrics.observeHttp(o),
      ),
    );
    app.use(requestLogging(logger));
    app.use(securityHeaders());
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.use(
      calendarHealthRouter({
        em: () => db.orm.em.fork(),
        // The credentials themselves (delegation mode), or acting as the shared calendar's user.
        checkGoogleAccess: () => google.gateway.checkAccess(google.access.mode === 'shared' ? google.access.subject : undefined),
        maxSyncAgeMs: config.health.maxSyncAgeMs,
        logger,
      }),
    );
    if (metricsToken) app.use(metricsRouter(metrics, metricsToken, logger));
    app.use(WEBHOOK_PATH, webhookRateLimit(rateLimits.webhook));
    app.use(webhookRouter(WEBHOOK_PATH, receiver, (result) => metrics.webhook(result)));
    if (jobs && dashboard) {
      // agendash installs its own body parsers: only under /jobs, and only after authentication.
      app.use('/jobs', basicAuth(dashboard, 'calsync jobs'), createAgendashMiddleware(jobs.agenda));
    }
    app.use('/trpc', ...corsFor(config.http.corsOrigins, TRPC_CORS), trpcHandler({ deps, logger, limiter: rateLimits.api }));
    const page = webPage();
    if (page) app.use(page);
    // The seed's REST API, through the same procedures (and the same limit) as /trpc.
    const restCors = corsFor(config.http.corsOrigins, REST_CORS);
    if (restCors.length > 0) app.use(REST_PREFIX, ...restCors);
    app.use(restRouter({ deps, logger, limiter: rateLimits.api }));
    app.use((_req, res) => {
      res.status(404).json(errorBody('NOT_FOUND', 'No such route.'));
    });
    const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
      const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
      if (status >= 500) logger.error({ err }, 'request failed');
      res.status(status).json(status >= 500 ? errorBody('INTERNAL_SERVER_ERROR', INTERNAL_ERROR_MESSAGE) : errorBody('BAD_REQUEST', 'Malformed request.'));
    };
    app.use(onError);
    handler = app;

    return {
      url,
      devTokens,
      devDashboard,
      devMetricsToken,
      jobs,
      emulatorUrl: google.emulatorUrl,
      syncIdle: async () => {
        await syncScheduler.idle();
        await receiver.flush();
      },
      forgetExpired: () => {
        deps.verifyToken.forgetExpired?.();
        rateLimits?.api?.forgetExpired?.();
        rateLimits?.webhook?.forgetExpired?.();
        google.gateway.forgetIdleUsers();
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
