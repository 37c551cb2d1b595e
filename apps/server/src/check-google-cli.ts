import { parseArgs } from 'node:util';
import { runGoogleSetupCheck, type CheckStep, type CheckTarget } from '@calsync/google';
import type { Config } from './config.ts';
import { setUpGoogle } from './google.ts';
import { notificationUrl } from './http/webhook.ts';
import type { Logger } from './logger.ts';

export const CHECK_GOOGLE_USAGE = `usage: pnpm check:google [--user <email>]... [--calendar <id>]

Runs a short round against the Google the configuration points at (GOOGLE_SERVICE_ACCOUNT_JSON,
GOOGLE_API_BASE_URL, ...): a token, the Calendar API, a meeting with Meet in 2099, read back,
patched, watched (when WEBHOOK_BASE_URL is a public https URL), deleted, channel stopped.
Everything it makes is removed again.

  --user <email>    delegation mode (GOOGLE_WORKSPACE_DOMAINS set): the user to act as; repeatable
  --calendar <id>   use this calendar instead of the configured one (shared mode) or the user's own

Exit code: 0 every step passed, 1 a step failed, 2 usage.`;

/** Exit codes: what a script or CI step running the check can rely on. */
const PASSED = 0;
const FAILED = 1;
const USAGE = 2;

/**
 * `pnpm check:google`: checks the configured Google set-up through the same gateway and access the
 * server builds (setUpGoogle), printing a line per step and a verdict. Nothing here prints a token
 * or key material: the lines are titles, timings and the classified errors' messages.
 */
export async function runCheckGoogleCli(args: string[], config: Config, logger: Logger): Promise<number> {
  let flags: { user: string[]; calendar: string | undefined; help: boolean };
  try {
    const { values } = parseArgs({
      args,
      options: { user: { type: 'string', multiple: true }, calendar: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    flags = { user: (values.user ?? []).map((u) => u.trim().toLowerCase()), calendar: values.calendar?.trim() || undefined, help: values.help ?? false };
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${CHECK_GOOGLE_USAGE}`);
    return USAGE;
  }
  if (flags.help) {
    process.stdout.write(`${CHECK_GOOGLE_USAGE}\n`);
    return PASSED;
  }
  const credentials = config.google.credentials;
  if (!credentials) {
    console.error(
      'GOOGLE_SERVICE_ACCOUNT_JSON is not set, so the server would use its built-in emulator: there is no Google set-up to check.\n' +
        'Set GOOGLE_SERVICE_ACCOUNT_JSON to the service account key (and GOOGLE_API_BASE_URL to check another Google, such as an emulator).',
    );
    return USAGE;
  }

  // The server's start-up line ("using Google Calendar with ...") would only repeat the header below.
  const quiet = config.logLevel === 'info' ? logger.child({ command: 'check:google' }, { level: 'warn' }) : logger;
  const google = await setUpGoogle(config, quiet);
  try {
    const access = google.access;
    let targets: CheckTarget[];
    let mode: string;
    if (access.mode === 'shared') {
      if (flags.user.length > 0) {
        console.error(
          `--user is for delegation mode (GOOGLE_WORKSPACE_DOMAINS). This deployment shares one calendar and acts as ${access.subject ?? 'the service account itself'} (GOOGLE_IMPERSONATE_USER).\n\n${CHECK_GOOGLE_USAGE}`,
        );
        return USAGE;
      }
      const actingAs = access.subject ?? `${credentials.client_email} (the service account itself: GOOGLE_IMPERSONATE_USER is not set)`;
      targets = [{ calendarId: flags.calendar ?? access.calendarId, subject: access.subject, actingAs: access.subject ?? credentials.client_email }];
      mode = `shared calendar ${targets[0]?.calendarId ?? ''}, acting as ${actingAs}`;
    } else {
      if (flags.user.length === 0) {
        console.error(
          `This deployment connects each user's own calendar (GOOGLE_WORKSPACE_DOMAINS=${access.domains.join(',')}): name the user(s) to check with --user, e.g.\n  pnpm check:google --user rep@${access.domains[0] ?? 'example.com'}`,
        );
        return USAGE;
      }
      const outside = flags.user.filter((u) => !access.domains.includes(u.slice(u.lastIndexOf('@') + 1)));
      if (outside.length > 0) {
        console.error(`${outside.join(', ')}: not in GOOGLE_WORKSPACE_DOMAINS (${access.domains.join(', ')}), so the service would not connect their calendar.`);
        return USAGE;
      }
      targets = flags.user.map((user) => ({ calendarId: flags.calendar ?? user, subject: user, actingAs: user }));
      mode = `each user's own calendar (domain-wide delegation for ${access.domains.join(', ')})`;
    }

    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`Checking Google Calendar at ${config.google.apiBaseUrl ?? 'https://www.googleapis.com'} as service account ${credentials.client_email}`);
    out(`  ${mode}\n`);
    const started = performance.now();
    const webhookBase = config.sync.webhookBaseUrl;
    const result = await runGoogleSetupCheck({
      gateway: google.gateway,
      targets,
      notificationUrl: webhookBase ? notificationUrl(webhookBase) : undefined,
      onStep: (step) => out(formatStep(step)),
    });

    const failed = result.steps.filter((s) => s.outcome === 'fail').length;
    const skipped = result.steps.filter((s) => s.outcome === 'skip').length;
    const passed = result.steps.length - failed - skipped;
    const took = formatMs(performance.now() - started);
    out('');
    if (result.passed) {
      out(`✓ Google set-up works: ${passed} steps passed${skipped ? `, ${skipped} skipped` : ''} (${took}).`);
    } else {
      out(`✗ Google set-up has problems: ${failed} of ${result.steps.length} steps failed (${took}). Fix what the ✗ lines say and run pnpm check:google again.`);
    }
    for (const leftover of result.leftovers) out(`  Left in Google, delete it by hand: ${leftover}`);
    return result.passed ? PASSED : FAILED;
  } finally {
    await google.close();
  }
}

export function formatStep(step: CheckStep): string {
  if (step.outcome === 'skip') return `– ${step.title}: skipped: ${step.detail ?? ''}`;
  const mark = step.outcome === 'pass' ? '✓' : '✗';
  return `${mark} ${step.title} (${formatMs(step.durationMs)})${step.detail ? `: ${step.detail}` : ''}`;
}

function formatMs(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
