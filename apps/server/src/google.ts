import type { CalendarAccess } from '@calsync/calendar';
import { GoogleCalendarGateway, type GatewayObserver, type GoogleGatewayConfig } from '@calsync/google';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export interface GoogleSetup {
  gateway: GoogleCalendarGateway;
  /** Whose calendars are served: one shared calendar, or each user's own (domain-wide delegation). */
  access: CalendarAccess;
  /** Set when the in-process emulator stands in for Google. */
  emulatorUrl: string | undefined;
  /** Development with the emulator: the Workspace users it knows (dev tokens are made for them). */
  devUsers: DevUser[] | undefined;
  close(): Promise<void>;
}

export interface DevUser {
  email: string;
  label: string;
  admin: boolean;
}

/** The built-in emulator's Workspace domain, and its users (development only). */
export const DEV_DOMAIN = 'calsync.test';
const DEV_USERS: DevUser[] = [
  { email: `rep.one@${DEV_DOMAIN}`, label: 'Rep One', admin: false },
  { email: `rep.two@${DEV_DOMAIN}`, label: 'Rep Two', admin: false },
  { email: `admin@${DEV_DOMAIN}`, label: 'Admin', admin: true },
];

/**
 * Real Google when a service account is configured; otherwise the emulator, started in this
 * process with a freshly generated dev service account (with domain-wide delegation, so Meet
 * links and attendees work as they do for a real Workspace deployment) and a Workspace domain of
 * a few users.
 */
export async function setUpGoogle(config: Config, logger: Logger, observer?: GatewayObserver): Promise<GoogleSetup> {
  const g = config.google;
  const gatewayConfig: Omit<GoogleGatewayConfig, 'credentials' | 'apiBaseUrl'> = { timeoutMs: g.timeoutMs, retry: g.retry, quota: g.quota, observer };
  if (g.credentials) {
    const gateway = new GoogleCalendarGateway({ ...gatewayConfig, credentials: g.credentials, apiBaseUrl: g.apiBaseUrl });
    const access = accessOf(config, g.workspaceDomains, g.credentials.client_email);
    logger.info(
      { ...describeAccess(access), apiBaseUrl: g.apiBaseUrl ?? 'https://www.googleapis.com' },
      'using Google Calendar with the configured service account',
    );
    return { gateway, access, emulatorUrl: undefined, devUsers: undefined, close: async () => {} };
  }

  // Loaded only here: a deployment with real credentials never carries the emulator in memory.
  const { generateServiceAccountKey, startEmulator } = await import('@calsync/google-calendar-emulator');
  const emulator = await startEmulator({ port: config.emulator.port });
  const key = await generateServiceAccountKey({ clientEmail: 'calsync-dev@calsync-dev.iam.gserviceaccount.com' });
  emulator.registerServiceAccount(key, { domainWideDelegation: true });
  emulator.control.addDomain(DEV_DOMAIN, { users: [...DEV_USERS.map((u) => u.email), `dev.user@${DEV_DOMAIN}`] });
  const gateway = new GoogleCalendarGateway({ ...gatewayConfig, credentials: key, apiBaseUrl: emulator.url });
  // Development shows the product as a team uses it: each rep connects their own calendar.
  // GOOGLE_IMPERSONATE_USER alone asks for the shared calendar instead.
  const domains = g.workspaceDomains ?? (g.impersonateUser ? undefined : [DEV_DOMAIN]);
  const access = accessOf(config, domains, key.client_email);
  logger.warn(
    { emulatorUrl: emulator.url, ...describeAccess(access) },
    'GOOGLE_SERVICE_ACCOUNT_JSON is not set: using the built-in Google Calendar emulator (no real Google calls)',
  );
  return { gateway, access, emulatorUrl: emulator.url, devUsers: access.mode === 'delegation' ? DEV_USERS : undefined, close: () => emulator.close() };
}

function accessOf(config: Config, domains: string[] | undefined, serviceAccount: string): CalendarAccess {
  if (domains) return { mode: 'delegation', domains };
  const subject = config.google.impersonateUser;
  return { mode: 'shared', calendarId: resolveCalendarId(config.google.calendarId, subject ?? serviceAccount), subject };
}

function describeAccess(access: CalendarAccess): Record<string, unknown> {
  return access.mode === 'shared'
    ? { mode: 'shared calendar', calendarId: access.calendarId, impersonating: access.subject ?? null }
    : { mode: 'each user their own calendar (domain-wide delegation)', domains: access.domains };
}

/**
 * `primary` names the acting principal's own calendar, whose id is that principal's address.
 * Storing the address keeps rows attached to the right calendar if the configuration changes.
 */
function resolveCalendarId(configured: string, principal: string): string {
  return configured === 'primary' ? principal : configured;
}
