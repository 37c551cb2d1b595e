/** One running emulator with a delegated and a bare service account, shared by a test file. */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { generateServiceAccountKey, startEmulator, type EmulatorOptions, type RunningEmulator, type ServiceAccountKey } from '../src/index.ts';
import { googleCalendar } from './google-client.ts';

export const USER = 'alice@example.com';

export interface Fixture {
  emu: RunningEmulator;
  delegatedKey: ServiceAccountKey;
  bareKey: ServiceAccountKey;
  /** Acts as USER through domain-wide delegation: the production setup. */
  user: calendar_v3.Calendar;
  /** The bare service account without delegation. */
  bare: calendar_v3.Calendar;
}

export function useEmulator(opts: EmulatorOptions = {}): Fixture {
  const f = {} as Fixture;
  beforeAll(async () => {
    f.emu = await startEmulator(opts);
    f.delegatedKey = await generateServiceAccountKey({ clientEmail: 'sync@calsync-test.iam.gserviceaccount.com' });
    f.bareKey = await generateServiceAccountKey({ clientEmail: 'bare@calsync-test.iam.gserviceaccount.com' });
    f.emu.registerServiceAccount(f.delegatedKey, { domainWideDelegation: true });
    f.emu.registerServiceAccount(f.bareKey);
    f.user = googleCalendar(f.emu.url, f.delegatedKey, { subject: USER });
    f.bare = googleCalendar(f.emu.url, f.bareKey);
  });
  beforeEach(() => {
    f.emu.control.reset();
  });
  afterAll(async () => {
    await f.emu?.close();
  });
  return f;
}

export const at = (iso: string): { dateTime: string } => ({ dateTime: iso });
