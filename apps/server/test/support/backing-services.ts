import { createTestDatabase } from '@calsync/db/testing';
import { generateServiceAccountKey, startEmulator, type EmulatorOptions, type RunningEmulator } from '@calsync/google-calendar-emulator';

// No vitest here: the bench starts its servers' surroundings with this module too.

export const TEST_JWT_SECRET = 'test-secret-for-end-to-end-tests-only-0123456789';
export const CALENDAR_USER = 'rep@acme.test';

export const TEST_WEBHOOK_SECRET = 'webhook-secret-for-end-to-end-tests-0123456789';

export interface BackingServicesOptions {
  /** false: the service account has no domain-wide delegation (as a plain GCP service account). */
  delegation?: boolean;
  meetPendingMs?: number;
  /** The emulator's other options, e.g. enforced quotas and an injectable clock. */
  emulator?: Omit<EmulatorOptions, 'meetPendingMs'>;
  /** Added to (and overriding) the environment below, e.g. the bench's LOG_LEVEL and rate limits. */
  env?: Record<string, string>;
}

/**
 * What a server needs around it: its own PostgreSQL database, the Google emulator with a
 * registered service account, and the environment that points a server (in-process via
 * loadConfig, or a real process) at them.
 */
export async function startBackingServices(opts: BackingServicesOptions = {}) {
  const delegation = opts.delegation ?? true;
  const db = await createTestDatabase();
  let emulator: RunningEmulator | undefined;
  try {
    emulator = await startEmulator({ ...opts.emulator, meetPendingMs: opts.meetPendingMs ?? 0 });
    const key = await generateServiceAccountKey({ clientEmail: 'calsync-test@calsync.iam.gserviceaccount.com' });
    emulator.registerServiceAccount(key, { domainWideDelegation: delegation });
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(key),
      GOOGLE_API_BASE_URL: emulator.url,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      JOBS_ENABLED: 'false',
      ...(delegation ? { GOOGLE_IMPERSONATE_USER: CALENDAR_USER } : {}),
      ...opts.env,
    };
    const running = emulator;
    return {
      db,
      emulator: running,
      key,
      env,
      /** The calendar id as the emulator knows it (the acting principal's primary calendar). */
      calendarId: delegation ? CALENDAR_USER : key.client_email,
      async close() {
        await running.close();
        await db.drop();
      },
    };
  } catch (err) {
    await emulator?.close();
    await db.drop();
    throw err;
  }
}

export type BackingServices = Awaited<ReturnType<typeof startBackingServices>>;
