import { GoogleCalendarGateway, type GatewayObserver } from '@calsync/google';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export interface GoogleSetup {
  gateway: GoogleCalendarGateway;
  /** The calendar served, with `primary` resolved to the acting user's address (a stable key for our rows). */
  calendarId: string;
  /** Set when the in-process emulator stands in for Google. */
  emulatorUrl: string | undefined;
  close(): Promise<void>;
}

const DEV_USER = 'dev.user@calsync.test';

/**
 * Real Google when a service account is configured; otherwise the emulator, started in this
 * process with a freshly generated dev service account (with domain-wide delegation, so Meet
 * links and attendees work as they do for a real Workspace deployment).
 */
export async function setUpGoogle(config: Config, logger: Logger, observer?: GatewayObserver): Promise<GoogleSetup> {
  const g = config.google;
  if (g.credentials) {
    const gateway = new GoogleCalendarGateway({
      credentials: g.credentials,
      impersonateUser: g.impersonateUser,
      apiBaseUrl: g.apiBaseUrl,
      timeoutMs: g.timeoutMs,
      retry: g.retry,
      rateLimit: g.rateLimit,
      observer,
    });
    const calendarId = resolveCalendarId(g.calendarId, g.impersonateUser ?? g.credentials.client_email);
    logger.info(
      { calendarId, impersonating: g.impersonateUser ?? null, apiBaseUrl: g.apiBaseUrl ?? 'https://www.googleapis.com' },
      'using Google Calendar with the configured service account',
    );
    return { gateway, calendarId, emulatorUrl: undefined, close: async () => {} };
  }

  // Loaded only here: a deployment with real credentials never carries the emulator in memory.
  const { generateServiceAccountKey, startEmulator } = await import('@calsync/google-calendar-emulator');
  const emulator = await startEmulator({ port: config.emulator.port });
  const key = await generateServiceAccountKey({ clientEmail: 'calsync-dev@calsync-dev.iam.gserviceaccount.com' });
  emulator.registerServiceAccount(key, { domainWideDelegation: true });
  const impersonateUser = g.impersonateUser ?? DEV_USER;
  const gateway = new GoogleCalendarGateway({ credentials: key, impersonateUser, apiBaseUrl: emulator.url, timeoutMs: g.timeoutMs, retry: g.retry, rateLimit: g.rateLimit, observer });
  logger.warn(
    { emulatorUrl: emulator.url, impersonating: impersonateUser },
    'GOOGLE_SERVICE_ACCOUNT_JSON is not set: using the built-in Google Calendar emulator (no real Google calls)',
  );
  return { gateway, calendarId: resolveCalendarId(g.calendarId, impersonateUser), emulatorUrl: emulator.url, close: () => emulator.close() };
}

/**
 * `primary` names the acting principal's own calendar, whose id is that principal's address.
 * Storing the address keeps rows attached to the right calendar if the configuration changes.
 */
function resolveCalendarId(configured: string, principal: string): string {
  return configured === 'primary' ? principal : configured;
}
