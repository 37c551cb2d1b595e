import { DEFAULT_DRAIN_TIMEOUT_MS } from '@calsync/jobs';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { releaseMemoryWhenIdle, releaseUnusedMemory } from './memory.ts';
import { hasWebPage } from './http/web-page.ts';

// The only place that reads process.env.
let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
// Readable lines for a person at a terminal; JSON for everything that collects logs.
const logger = createLogger({ level: config.logLevel, pretty: config.env === 'development' && process.stdout.isTTY });

const [command, ...args] = process.argv.slice(2);
// Each command loads only what it runs: the operator commands need not load the whole server.
if (command === 'jobs') {
  const { runJobsCli } = await import('./jobs-cli.ts');
  process.exit(await runJobsCli(args, config, logger));
}
if (command === 'check:google') {
  const { runCheckGoogleCli } = await import('./check-google-cli.ts');
  process.exit(await runCheckGoogleCli(args, config, logger));
}

const { startApp } = await import('./app.ts');

const app = await startApp(config, logger).catch((err: unknown) => {
  const inUse = err instanceof Error && 'code' in err && err.code === 'EADDRINUSE';
  logger.fatal({ err }, inUse ? `port ${config.port} is already in use: stop the other process or set PORT` : 'start-up failed');
  process.exit(1);
});
// Start-up is done: what it allocated is garbage, and nothing else would collect it while idle.
releaseUnusedMemory();
// And again whenever it rests after work (a sync of 10,000 calendars, a storm of notifications).
releaseMemoryWhenIdle({ beforeRelease: app.forgetExpired });

logger.info({ url: app.url, trpc: `${app.url}/trpc`, emulator: app.emulatorUrl ?? null, jobs: app.jobs ? `${app.url}/jobs` : null }, 'calendar service listening');
if (app.devTokens) {
  // A human reads this once at start-up; these are throwaway dev credentials, not configured secrets.
  const tokens = app.devTokens
    .map(
      (u) =>
        `  ${u.label} (${u.email}${u.admin ? ', admin' : ''}):\n  ${u.token}\n` +
        // The token rides in the fragment, which browsers never send: it stays out of access logs.
        (hasWebPage() ? `  Web page: ${app.url}/#token=${u.token}\n` : ''),
    )
    .join('\n');
  process.stdout.write(
    `\n  Calendar service: ${app.url}  (tRPC at ${app.url}/trpc)\n` +
      (app.emulatorUrl ? `  Google: built-in emulator at ${app.emulatorUrl} (set GOOGLE_SERVICE_ACCOUNT_JSON for real Google)\n` : '') +
      (app.devDashboard ? `  Jobs dashboard: ${app.url}/jobs  (user ${app.devDashboard.user}, password ${app.devDashboard.password})\n` : '') +
      (app.devMetricsToken ? `  Metrics: ${app.url}/metrics  (Authorization: Bearer ${app.devMetricsToken}; METRICS_TOKEN not set)\n` : '') +
      `  Dev tokens (AUTH_JWT_SECRET not set; valid 30 days, this run only):\n\n${tokens}\n`,
  );
} else if (app.devDashboard || app.devMetricsToken) {
  process.stdout.write(
    '\n' +
      (app.devDashboard ? `  Jobs dashboard: ${app.url}/jobs  (user ${app.devDashboard.user}, password ${app.devDashboard.password})\n` : '') +
      (app.devMetricsToken ? `  Metrics: ${app.url}/metrics  (Authorization: Bearer ${app.devMetricsToken}; METRICS_TOKEN not set)\n` : '') +
      '\n',
  );
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // The bound: requests' grace period plus the time running jobs get to finish (app.close
    // stops the jobs with the scheduler's default drain timeout), which covers the current sync page.
    const limitMs = config.shutdownGraceMs + DEFAULT_DRAIN_TIMEOUT_MS;
    setTimeout(() => {
      logger.error({ limitMs }, 'shutdown took too long: exiting anyway');
      process.exit(1);
    }, limitMs).unref();
    app.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
