import { generateServiceAccountKey, startEmulator } from '@calsync/google-calendar-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleApiError } from '../src/errors.ts';
import { GoogleCalendarGateway } from '../src/gateway.ts';

// The gateway against the emulator over real HTTP, through Google's own client library:
// the base URL override must carry both the token call and the API calls, and every Google
// failure must come out classified.
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;
let gateway: GoogleCalendarGateway;
const user = 'rep@acme.test';
const primary = { calendarId: 'primary', subject: user };

beforeAll(async () => {
  emulator = await startEmulator();
  const key = await generateServiceAccountKey();
  emulator.registerServiceAccount(key, { domainWideDelegation: true });
  gateway = new GoogleCalendarGateway({ credentials: key, apiBaseUrl: emulator.url });
});
afterAll(async () => {
  await emulator?.close();
});

async function googleError(p: Promise<unknown>): Promise<GoogleApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GoogleApiError);
  return err as GoogleApiError;
}

const body = { summary: 'x', start: { dateTime: '2031-01-01T10:00:00Z' }, end: { dateTime: '2031-01-01T11:00:00Z' } };

describe('GoogleCalendarGateway', () => {
  it('gets a token from the base URL and acts as the delegated user', async () => {
    await gateway.checkAccess(primary.subject);
    const created = await gateway.insertEvent(primary, body, { id: 'gtest00001', createMeetLink: true });
    expect(created.organizer?.email).toBe(user);
    expect(created.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(emulator.control.stats().token).toBeGreaterThanOrEqual(1);
  });

  it('classifies 409, 404, 410 and 412', async () => {
    const dup = await googleError(gateway.insertEvent(primary, body, { id: 'gtest00001', createMeetLink: false }));
    expect([dup.kind, dup.status, dup.retryable]).toEqual(['conflict', 409, false]);

    const missing = await googleError(gateway.getEvent(primary, 'missing0000'));
    expect([missing.kind, missing.status, missing.reason]).toEqual(['not_found', 404, 'notFound']);

    const created = await gateway.insertEvent(primary, body, { id: 'gtest00002', createMeetLink: false });
    const stale = await googleError(gateway.patchEvent(primary, 'gtest00002', { summary: 'y' }, { ifMatch: '"stale"' }));
    expect([stale.kind, stale.status, stale.reason]).toEqual(['precondition_failed', 412, 'conditionNotMet']);
    expect(created.etag).toBeTruthy();

    await gateway.deleteEvent(primary, 'gtest00002');
    const gone = await googleError(gateway.deleteEvent(primary, 'gtest00002'));
    expect([gone.kind, gone.status, gone.reason]).toEqual(['gone', 410, 'deleted']);
  });

  it('classifies bad input as invalid and a range error with Google’s reason', async () => {
    const err = await googleError(
      gateway.insertEvent(primary, { ...body, end: { dateTime: '2031-01-01T09:00:00Z' } }, { id: 'gtest00003', createMeetLink: false }),
    );
    expect([err.kind, err.status, err.reason]).toEqual(['invalid', 400, 'timeRangeEmpty']);
  });

  it('classifies an unknown service account as an auth error without leaking the key', async () => {
    const stranger = await generateServiceAccountKey();
    const g = new GoogleCalendarGateway({ credentials: stranger, apiBaseUrl: emulator.url });
    const err = await googleError(g.getEvent(primary, 'someevent00'));
    expect(err.kind).toBe('auth');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/GOOGLE_SERVICE_ACCOUNT_JSON/);
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('classifies delegation refused for the subject as an auth error that names the fix', async () => {
    const key = await generateServiceAccountKey();
    emulator.registerServiceAccount(key, { domainWideDelegation: false });
    const g = new GoogleCalendarGateway({ credentials: key, apiBaseUrl: emulator.url });
    const err = await googleError(g.getEvent(primary, 'someevent00'));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/domain-wide delegation/);
  });

  it('classifies an unreachable Google as retryable', async () => {
    const key = await generateServiceAccountKey();
    const g = new GoogleCalendarGateway({ credentials: key, apiBaseUrl: 'http://127.0.0.1:9', timeoutMs: 2000, retry: { maxAttempts: 2, baseDelayMs: 10 } });
    const err = await googleError(g.getEvent(primary, 'someevent00'));
    expect(err.kind).toBe('unavailable');
    expect(err.retryable).toBe(true);
  });
});
