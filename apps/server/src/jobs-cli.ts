import { JOB_NAMES, JobScheduler, type JobName } from '@calsync/jobs';
import type { Config } from './config.ts';
import { notificationUrl } from './http/webhook.ts';
import type { Logger } from './logger.ts';
import { buildServices } from './services.ts';

export const JOBS_USAGE = `usage: pnpm jobs run <${JOB_NAMES.join('|')}>\n       pnpm jobs list`;

/**
 * `pnpm jobs run <name>`: runs a job now in this process, for operators (same code and logs as
 * the scheduled run). `pnpm jobs list`: the jobs with their next and last runs.
 */
export async function runJobsCli(args: string[], config: Config, logger: Logger): Promise<number> {
  const [command, name] = args;
  if (command !== 'run' && command !== 'list') {
    console.error(JOBS_USAGE);
    return 2;
  }
  if (command === 'run' && !JOB_NAMES.includes(name as JobName)) {
    console.error(`unknown job "${name ?? ''}"\n${JOBS_USAGE}`);
    return 2;
  }
  // Notification address for channels renewed from here: the running server's (or the public) URL.
  const services = await buildServices(config, logger, { notificationUrl: notificationUrl(config.sync.webhookBaseUrl ?? `http://${config.host}:${config.port}`) });
  const jobs = new JobScheduler({
    databaseUrl: services.db.url,
    name: `calsync-cli-${process.pid}`,
    context: { em: services.db.orm.em, sync: services.sync, watch: services.watch, config: config.jobs.config, logger, now: () => new Date() },
  });
  try {
    if (command === 'list') {
      await jobs.ready();
      const { jobs: rows } = await jobs.agenda.queryJobs({ names: [...JOB_NAMES] });
      for (const j of rows) {
        process.stdout.write(
          `${j.name.padEnd(16)} ${j.state.padEnd(10)} next ${j.nextRunAt?.toISOString() ?? '-'}  last ${j.lastRunAt?.toISOString() ?? '-'}${j.failReason ? `  failed: ${j.failReason}` : ''}\n`,
        );
      }
      return 0;
    }
    const result = await jobs.runNow(name as JobName);
    process.stdout.write(`${JSON.stringify({ job: name, ...result }, null, 2)}\n`);
    return 0;
  } catch (err) {
    console.error(`job ${name ?? ''} failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await jobs.stop();
    await services.close();
  }
}
