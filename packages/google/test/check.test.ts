import { generateServiceAccountKey, startEmulator, type FaultRule, type ServiceAccountKey } from '@calsync/google-calendar-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_SUMMARY_PREFIX, runGoogleSetupCheck, webhookProblem, type CheckStep, type CheckTarget } from '../src/check.ts';
import { GoogleCalendarGateway } from '../src/gateway.ts';

// The set-up check against the emulator through Google's own client library: a good set-up passes
// every step, each known set-up mistake (switched on in the emulator) shows its actionable
// message, and nothing the check made is left in the calendar, whether it passed or failed.
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;
let delegated: ServiceAccountKey;
let bare: ServiceAccountKey;

const DOMAIN = 'acme.test';
const REP = `rep@${DOMAIN}`;
/** Google delivers only to public https URLs; `.invalid` never resolves, so nothing leaves the machine. */
const PUBLIC_WEBHOOK = 'https://calsync-check.invalid/webhooks/google';

beforeAll(async () => {
  // One delivery attempt: the watch's sync message to the unresolvable address fails once, quietly.
  emulator = await startEmulator({ pushRetry: { maxAttempts: 1 } });
  delegated = await generateServiceAccountKey({ clientEmail: 'calsync@acme-crm.iam.gserviceaccount.com' });
  bare = await generateServiceAccountKey({ clientEmail: 'bare@acme-crm.iam.gserviceaccount.com' });
  emulator.registerServiceAccount(delegated, { domainWideDelegation: [DOMAIN] });
  emulator.registerServiceAccount(bare);
  emulator.control.addDomain(DOMAIN, { users: [REP, `other@${DOMAIN}`] });
});
afterEach(() => {
  emulator.control.reset();
});
afterAll(async () => {
  await emulator?.close();
});

function gatewayFor(key: ServiceAccountKey, retry = { maxAttempts: 1 }): GoogleCalendarGateway {
  return new GoogleCalendarGateway({ credentials: key, apiBaseUrl: emulator.url, retry });
}

const rep: CheckTarget = { calendarId: REP, subject: REP, actingAs: REP };

async function check(opts: { key?: ServiceAccountKey; targets?: CheckTarget[]; notificationUrl?: string | undefined; faults?: FaultRule[] } = {}) {
  if (opts.faults) emulator.control.injectFaults(opts.faults);
  const printed: CheckStep[] = [];
  const result = await runGoogleSetupCheck({
    gateway: gatewayFor(opts.key ?? delegated),
    targets: opts.targets ?? [rep],
    notificationUrl: 'notificationUrl' in opts ? opts.notificationUrl : PUBLIC_WEBHOOK,
    onStep: (s) => printed.push(s),
  });
  expect(printed).toEqual(result.steps);
  return { ...result, outcomes: result.steps.map((s) => `${s.name}:${s.outcome}`) };
}

/** Nothing the check made is still there: its events are all cancelled (Google keeps them so). */
function expectNothingLeft(calendarId: string): void {
  const left = emulator.control.listEvents(calendarId).filter((e) => e.status !== 'cancelled');
  expect(left).toEqual([]);
}

describe('runGoogleSetupCheck against a good set-up', () => {
  it('delegation mode: every step passes, Meet link included, and the calendar is as before', async () => {
    const r = await check();
    expect(r.outcomes).toEqual(['token:pass', 'api:pass', 'insert:pass', 'read:pass', 'patch:pass', 'watch:pass', 'delete:pass', 'stop:pass']);
    expect(r.passed).toBe(true);
    expect(r.leftovers).toEqual([]);
    const insert = r.steps.find((s) => s.name === 'insert');
    expect(insert?.title).toMatch(/^create a meeting with Meet on 2099-\d\d-\d\d$/);
    expect(insert?.detail).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(r.steps.find((s) => s.name === 'watch')?.title).toContain(PUBLIC_WEBHOOK);
    expect(r.steps.every((s) => s.durationMs >= 0)).toBe(true);

    // The one event it made: far in the future, recognisable, with our own id; now cancelled.
    const events = emulator.control.listEvents(REP);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 'cancelled' });
    expect(String(events[0]?.['summary'])).toMatch(new RegExp(`^${CHECK_SUMMARY_PREFIX} \\d{4}-.*\\(patched\\)$`));
    expect(String(events[0]?.['id'])).toMatch(/^check[0-9a-v]+$/);
    expect(emulator.control.stats()['channels.stop']).toBe(1);
  });

  it('shared mode as an impersonated user, several users in a row, watch skipped without a public webhook URL', async () => {
    const r = await check({ targets: [rep, { calendarId: `other@${DOMAIN}`, subject: `other@${DOMAIN}`, actingAs: `other@${DOMAIN}` }], notificationUrl: 'http://127.0.0.1:3000/webhooks/google' });
    expect(r.passed).toBe(true);
    expect(r.outcomes.filter((o) => o === 'token:pass')).toHaveLength(2);
    const watch = r.steps.filter((s) => s.name === 'watch');
    expect(watch.map((s) => [s.outcome, s.detail])).toEqual([
      ['skip', 'WEBHOOK_BASE_URL is not a public https URL'],
      ['skip', 'WEBHOOK_BASE_URL is not a public https URL'],
    ]);
    expect(emulator.control.stats()['events.watch']).toBe(0);
    expectNothingLeft(REP);
    expectNothingLeft(`other@${DOMAIN}`);
  });

  it('says the webhook is not set when WEBHOOK_BASE_URL is unset', async () => {
    const r = await check({ notificationUrl: undefined });
    expect(r.steps.find((s) => s.name === 'watch')).toMatchObject({ outcome: 'skip', detail: 'WEBHOOK_BASE_URL is not set' });
    expect(r.passed).toBe(true);
  });
});

describe('runGoogleSetupCheck: each known set-up mistake shows what to change', () => {
  it('delegation not granted for the domain: the token step fails with where to grant it, and nothing else runs', async () => {
    const key = await generateServiceAccountKey({ clientEmail: 'elsewhere@acme-crm.iam.gserviceaccount.com' });
    emulator.registerServiceAccount(key, { domainWideDelegation: ['other.test'] });
    const r = await check({ key });
    expect(r.outcomes).toEqual(['token:fail']);
    const token = r.steps[0];
    expect(token?.title).toBe(`token for ${REP}`);
    expect(token?.error?.reason).toBe('unauthorized_client');
    expect(token?.error?.setupProblem).toBe('delegation_missing');
    expect(token?.detail).toMatch(/Manage domain-wide delegation/);
    expect(token?.detail).toMatch(/client ID/);
    expect(emulator.control.stats().total - emulator.control.stats().token).toBe(0);
  });

  it('delegation granted without the calendar scope: the same step names the scope', async () => {
    const key = await generateServiceAccountKey({ clientEmail: 'readonly@acme-crm.iam.gserviceaccount.com' });
    emulator.registerServiceAccount(key, { domainWideDelegation: [{ domain: DOMAIN, scopes: ['https://www.googleapis.com/auth/calendar.readonly'] }] });
    const r = await check({ key });
    expect(r.outcomes).toEqual(['token:fail']);
    expect(r.steps[0]?.detail).toContain('https://www.googleapis.com/auth/calendar;');
  });

  it('an unknown user: invalid_grant, said as "no such user", not as a bad key', async () => {
    const ghost = `ghost@${DOMAIN}`;
    const r = await check({ targets: [{ calendarId: ghost, subject: ghost, actingAs: ghost }] });
    expect(r.outcomes).toEqual(['token:fail']);
    expect(r.steps[0]?.error?.setupProblem).toBe('unknown_user');
    expect(r.steps[0]?.detail).toMatch(/no active Google Workspace user/);
  });

  it('a key Google does not know (deleted or replaced): invalid_grant, said as a bad key', async () => {
    const stale = await generateServiceAccountKey({ clientEmail: delegated.client_email });
    const r = await check({ key: { ...delegated, private_key: stale.private_key } });
    expect(r.outcomes).toEqual(['token:fail']);
    expect(r.steps[0]?.error?.setupProblem).toBe('bad_key');
    expect(r.steps[0]?.detail).toMatch(/new JSON key/);
  });

  it('the Calendar API not enabled (403 accessNotConfigured on the first API call): the enable link, and nothing is made', async () => {
    const message =
      'Google Calendar API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.';
    const r = await check({ faults: [{ method: 'events.list', status: 403, reason: 'accessNotConfigured', message }] });
    expect(r.outcomes).toEqual(['token:pass', 'api:fail']);
    expect(r.steps[1]?.error?.setupProblem).toBe('api_disabled');
    expect(r.steps[1]?.detail).toContain('enable it at https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=123456789012');
    expect(emulator.control.listEvents(REP)).toEqual([]);
  });

  it('Meet refused for a plain service account: that step fails with the fix, the rest is still checked without Meet', async () => {
    const self = bare.client_email;
    const r = await check({ key: bare, targets: [{ calendarId: self, subject: undefined, actingAs: self }] });
    expect(r.outcomes).toEqual(['token:pass', 'api:pass', 'insert:fail', 'insert:pass', 'read:pass', 'patch:pass', 'watch:pass', 'delete:pass', 'stop:pass']);
    expect(r.passed).toBe(false);
    const refused = r.steps[2];
    expect(refused?.error?.setupProblem).toBe('meet_needs_delegation');
    expect(refused?.detail).toMatch(/GOOGLE_IMPERSONATE_USER/);
    expect(r.steps[3]?.title).toMatch(/without Meet/);
    expectNothingLeft(self);
  });

  it('the webhook refused (push.webhookUrlUnauthorized): the domain-verification fix, and the event is removed anyway', async () => {
    const message = `Unauthorized WebHook callback channel: ${PUBLIC_WEBHOOK}`;
    const r = await check({ faults: [{ method: 'events.watch', status: 401, reason: 'push.webhookUrlUnauthorized', message }] });
    expect(r.outcomes).toEqual(['token:pass', 'api:pass', 'insert:pass', 'read:pass', 'patch:pass', 'watch:fail', 'cleanup:pass']);
    expect(r.steps[5]?.error?.setupProblem).toBe('webhook_domain_unverified');
    expect(r.steps[5]?.detail).toMatch(/Search Console/);
    expect(r.steps[6]?.title).toMatch(/^clean up after the failure: removed event check/);
    expect(r.leftovers).toEqual([]);
    expectNothingLeft(REP);
  });

  it('a step failing after the watch: both the channel and the event are removed', async () => {
    const r = await check({ faults: [{ method: 'events.delete', status: 500, times: 1 }] });
    expect(r.outcomes).toEqual(['token:pass', 'api:pass', 'insert:pass', 'read:pass', 'patch:pass', 'watch:pass', 'delete:fail', 'cleanup:pass']);
    expect(r.steps[7]?.title).toMatch(/removed channel calsync-check-.* and event check/);
    expect(emulator.control.stats()['channels.stop']).toBe(1);
    expectNothingLeft(REP);
  });

  it('cleanup itself failing: says so, with the event id to delete by hand', async () => {
    const r = await check({ faults: [{ method: 'events.delete', status: 503, times: 'always' }] });
    expect(r.outcomes.slice(-2)).toEqual(['delete:fail', 'cleanup:fail']);
    const id = String(emulator.control.listEvents(REP)[0]?.['id']);
    expect(r.steps.at(-1)?.detail).toContain(`could not delete event ${id}`);
    expect(r.steps.at(-1)?.detail).toMatch(/delete it by hand/);
    expect(r.leftovers).toEqual([expect.stringContaining(`event ${id}`)]);
    emulator.control.clearFaults();
  });
});

describe('webhookProblem', () => {
  it.each([
    ['https://crm.acme.com', undefined],
    ['https://crm.acme.com:8443/webhooks/google', undefined],
    ['http://crm.acme.com', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://localhost:3000', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://api.localhost', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://127.0.0.1', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://10.1.2.3', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://192.168.1.20', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://[::1]:3000', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://crm.local', 'WEBHOOK_BASE_URL is not a public https URL'],
    ['https://intranet', 'WEBHOOK_BASE_URL is not a public https URL'],
    [undefined, 'WEBHOOK_BASE_URL is not set'],
  ])('%s -> %s', (url, expected) => {
    expect(webhookProblem(url)).toBe(expected);
  });
});
