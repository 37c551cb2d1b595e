/** Standalone emulator for local development: `pnpm --filter @calsync/google-calendar-emulator start`. */
import { writeFile } from 'node:fs/promises';
import { generateServiceAccountKey, startEmulator } from './index.ts';

const port = Number(process.env.EMULATOR_PORT ?? 8086);
const host = process.env.EMULATOR_HOST ?? '127.0.0.1';
const keyFile = process.env.EMULATOR_KEY_FILE;

const emulator = await startEmulator({ port, host });
const key = await generateServiceAccountKey({ clientEmail: 'calsync-dev@calsync-dev.iam.gserviceaccount.com' });
// Delegation on, so the dev account can act as every user (attendees and Meet need it, as at Google).
emulator.registerServiceAccount(key, { domainWideDelegation: true });
if (keyFile !== undefined && keyFile !== '') {
  await writeFile(keyFile, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  console.log(`[google-calendar-emulator] service-account key written to ${keyFile}`);
}
console.log(`[google-calendar-emulator] listening on ${emulator.url} (service account ${key.client_email})`);

const shutdown = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
