import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateServiceAccountKey, startEmulator, type ServiceAccountKey } from '@calsync/google-calendar-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { notificationUrl } from '../src/http/webhook.ts';
import { SERVER_DIR, startCommandArgs } from '../src/start-command.ts';

// `pnpm check:google` as an operator runs it: its own process from the repository root, the
// configuration in the environment pointing at an emulator instead of Google (nothing else
// differs), its lines, its verdict and its exit code; and nothing secret in what it prints.
// Once through pnpm (the root script must keep the exit code); the other runs start the server's
// entry with the command directly, which is what the script runs, for a fraction of the CPU.
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DOMAIN = 'acme.test';
const REP = `rep@${DOMAIN}`;

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;
let key: ServiceAccountKey;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  emulator = await startEmulator({ pushRetry: { maxAttempts: 1 } });
  key = await generateServiceAccountKey({ clientEmail: 'calsync@acme-crm.iam.gserviceaccount.com' });
  emulator.registerServiceAccount(key, { domainWideDelegation: [DOMAIN] });
  emulator.control.addDomain(DOMAIN, { users: [REP] });
  dir = await mkdtemp(join(tmpdir(), 'check-google-'));
  keyFile = join(dir, 'key.json');
  await writeFile(keyFile, JSON.stringify(key), { mode: 0o600 });
});
afterEach(() => {
  emulator.control.reset();
});
afterAll(async () => {
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function checkGoogle(env: Record<string, string>, args: string[] = [], opts: { viaPnpm?: boolean } = {}): Promise<Run> {
  const fullEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    NODE_ENV: 'test',
    GOOGLE_SERVICE_ACCOUNT_JSON: keyFile,
    GOOGLE_API_BASE_URL: emulator.url,
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = opts.viaPnpm
      ? spawn('pnpm', ['--silent', 'check:google', ...args], { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [...startCommandArgs(), 'check:google', ...args], { cwd: SERVER_DIR, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whatever a run printed must not carry credentials: access tokens (the emulator's look like Google's), the key or its id. */
function expectNoSecrets(run: Run, used: ServiceAccountKey = key): void {
  const all = run.stdout + run.stderr;
  expect(all).not.toMatch(/ya29\./);
  expect(all).not.toMatch(/PRIVATE KEY/);
  const keyBody = used.private_key.split('\n').filter((l) => l.length > 40);
  expect(keyBody.length).toBeGreaterThan(10);
  for (const line of keyBody) expect(all).not.toContain(line.slice(0, 40));
  if (used.private_key_id) expect(all).not.toContain(used.private_key_id);
  expect(all).not.toMatch(/Bearer /i);
}

describe('pnpm check:google', () => {
  it('a good set-up (shared calendar as a Workspace user, public webhook): a line per step, the verdict, exit 0', async () => {
    const run = await checkGoogle({ GOOGLE_IMPERSONATE_USER: REP, WEBHOOK_BASE_URL: 'https://calsync-check.invalid' });
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Checking Google Calendar at ${emulator.url} as service account ${key.client_email}`);
    expect(lines[1]).toBe(`  shared calendar ${REP}, acting as ${REP}`);
    const steps = lines.filter((l) => /^[✓✗–] /.test(l));
    const normalised = (l: string) =>
      l
        .replace(/\(\d+ ms\)/g, '(N ms)')
        .replace(/2099-\d\d-\d\d/, '2099-MM-DD')
        .replace(/https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}/, 'MEET')
        .replace(/calsync-check-[0-9a-f-]{36}/, 'CHANNEL');
    expect(steps.map(normalised)).toEqual([
      `✓ token for ${REP} (N ms)`,
      `✓ Calendar API reachable: calendar ${REP} (N ms)`,
      '✓ create a meeting with Meet on 2099-MM-DD (N ms): MEET',
      '✓ read it back (N ms): MEET',
      '✓ patch its summary (N ms)',
      `✓ watch the calendar (notifications to ${notificationUrl('https://calsync-check.invalid')}) (N ms): channel CHANNEL`,
      '✓ cancel it (delete) (N ms)',
      '✓ stop the channel (N ms)',
      '✓ Google set-up works: 8 steps passed (N ms).',
    ]);
    expect(run.code).toBe(0);
    expect(emulator.control.listEvents(REP).filter((e) => e.status !== 'cancelled')).toEqual([]);
    expectNoSecrets(run);
  });

  it('delegation missing for the user: the ✗ line says what to change in the Admin console, exit 1', async () => {
    const other = await generateServiceAccountKey({ clientEmail: 'undelegated@acme-crm.iam.gserviceaccount.com' });
    emulator.registerServiceAccount(other, { domainWideDelegation: false });
    const otherFile = join(dir, 'undelegated.json');
    await writeFile(otherFile, JSON.stringify(other), { mode: 0o600 });
    const run = await checkGoogle({ GOOGLE_SERVICE_ACCOUNT_JSON: otherFile, GOOGLE_WORKSPACE_DOMAINS: DOMAIN }, ['--user', REP]);
    expect(run.stdout).toMatch(new RegExp(`^✗ token for ${REP} \\(\\d+ ms\\): Google refused to let the service account act as this user \\(unauthorized_client: .*Manage domain-wide delegation`, 'm'));
    expect(run.stdout).toMatch(/^✗ Google set-up has problems: 1 of 1 steps failed/m);
    expect(run.code).toBe(1);
    expectNoSecrets(run, other);
  });

  it('delegation mode without --user, run as `pnpm check:google`: says which flag is needed, and the exit code 2 gets through pnpm', async () => {
    const run = await checkGoogle({ GOOGLE_WORKSPACE_DOMAINS: DOMAIN }, [], { viaPnpm: true });
    expect(run.stderr).toContain(`name the user(s) to check with --user, e.g.\n  pnpm check:google --user rep@${DOMAIN}`);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
    expect(emulator.control.stats().total).toBe(0);
  });
});
