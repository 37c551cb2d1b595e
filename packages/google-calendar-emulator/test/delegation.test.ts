import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateServiceAccountKey, type ServiceAccountKey } from '../src/index.ts';
import { failure, googleAuth, googleCalendar } from './google-client.ts';
import { USER, at, useEmulator } from './fixture.ts';

const f = useEmulator();
const event = { summary: 'Deal review', start: at('2030-01-01T10:00:00Z'), end: at('2030-01-01T11:00:00Z') };
const REP1 = 'rep1@acme.test';
const REP2 = 'rep2@acme.test';
const CALENDAR = 'https://www.googleapis.com/auth/calendar';
const READONLY = 'https://www.googleapis.com/auth/calendar.readonly';

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'Invalid email or User ID' };
const UNAUTHORIZED_CLIENT = {
  error: 'unauthorized_client',
  error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
};

/** The parts of a GaxiosError these tests look at. */
interface ClientError {
  status?: number;
  response?: { status?: number; data?: unknown };
}

async function caught(p: Promise<unknown>): Promise<ClientError & { name: string }> {
  try {
    await p;
  } catch (err) {
    return Object.assign(err as ClientError, { name: (err as object).constructor.name });
  }
  throw new Error('expected the call to fail');
}

/** A service account delegated only where its grant says, registered once for the file. */
let acmeOnly: ServiceAccountKey;
let acmeReadOnly: ServiceAccountKey;

beforeAll(async () => {
  acmeOnly = await generateServiceAccountKey({ clientEmail: 'acme-only@calsync-test.iam.gserviceaccount.com' });
  acmeReadOnly = await generateServiceAccountKey({ clientEmail: 'acme-readonly@calsync-test.iam.gserviceaccount.com' });
  f.emu.registerServiceAccount(acmeOnly, { domainWideDelegation: ['acme.test'] });
  f.emu.registerServiceAccount(acmeReadOnly, { domainWideDelegation: [{ domain: 'acme.test', scopes: [READONLY] }] });
});

// Domains outlive reset() (like service accounts), so each test starts from none.
afterEach(() => {
  for (const d of f.emu.control.domains()) f.emu.control.removeDomain(d.domain);
});

describe('delegation to users of a declared domain', () => {
  it("acting as a declared user, primary is that user's calendar", async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1, REP2] });
    const rep1 = googleCalendar(f.emu.url, f.delegatedKey, { subject: REP1 });
    const { data: cal } = await rep1.calendars.get({ calendarId: 'primary' });
    expect(cal.id).toBe(REP1);
    const { data: created } = await rep1.events.insert({ calendarId: 'primary', requestBody: event });
    expect(created.organizer).toMatchObject({ email: REP1, self: true });
    expect(f.emu.control.listEvents(REP1).map((e) => e.id)).toEqual([created.id]);
  });

  it("two users' calendars are separate; one cannot read the other's by address", async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1, REP2] });
    const rep1 = googleCalendar(f.emu.url, f.delegatedKey, { subject: REP1 });
    const rep2 = googleCalendar(f.emu.url, f.delegatedKey, { subject: REP2 });
    await rep1.events.insert({ calendarId: 'primary', requestBody: event });
    expect((await rep1.events.list({ calendarId: 'primary' })).data.items).toHaveLength(1);
    expect((await rep2.events.list({ calendarId: 'primary' })).data.items).toEqual([]);
    expect(await failure(rep2.events.list({ calendarId: REP1 }))).toMatchObject({ status: 404, reason: 'notFound' });
  });

  it('a grant for the domain alone (every scope) is enough; a per-domain grant acts like the all-domains one', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    const rep1 = googleCalendar(f.emu.url, acmeOnly, { subject: REP1 });
    expect((await rep1.events.insert({ calendarId: 'primary', requestBody: event })).status).toBe(200);
  });

  it('users can be added to a declared domain later', async () => {
    f.emu.control.addDomain('acme.test');
    expect(await failure(googleAuth(f.emu.url, f.delegatedKey, { subject: REP1 }).getAccessToken())).toMatchObject({ status: 400, body: INVALID_GRANT });
    f.emu.control.addUser(REP1);
    expect((await googleAuth(f.emu.url, f.delegatedKey, { subject: REP1 }).getAccessToken()).token).toMatch(/^ya29\./);
    expect(f.emu.control.domains()).toEqual([{ domain: 'acme.test', users: [{ email: REP1, suspended: false }] }]);
  });
});

describe('token endpoint refusals, as the client library surfaces them', () => {
  it('an unknown user of a declared domain: 400 invalid_grant, a GaxiosError carrying the body', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    const stranger = googleCalendar(f.emu.url, f.delegatedKey, { subject: 'nobody@acme.test' });
    const err = await caught(stranger.events.list({ calendarId: 'primary' }));
    expect(err.name).toBe('GaxiosError');
    expect(err.status).toBe(400);
    expect(err.response?.data).toEqual(INVALID_GRANT);
    // Refused at the token endpoint: the API was never called.
    expect(f.emu.control.stats()).toMatchObject({ token: 1, 'events.list': 0 });
  });

  it('a suspended user: invalid_grant, and a token issued before stops working; reactivated, they are back', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    const rep1 = googleCalendar(f.emu.url, f.delegatedKey, { subject: REP1 });
    expect((await rep1.events.list({ calendarId: 'primary' })).status).toBe(200);
    f.emu.control.suspendUser(REP1);
    // The library caches its token for an hour and does not refresh on a 401 (JWT): the call fails.
    expect(await failure(rep1.events.list({ calendarId: 'primary' }))).toMatchObject({ status: 401, reason: 'authError' });
    const fresh = await caught(googleCalendar(f.emu.url, f.delegatedKey, { subject: REP1 }).events.list({ calendarId: 'primary' }));
    expect(fresh).toMatchObject({ name: 'GaxiosError', status: 400, response: { data: INVALID_GRANT } });
    f.emu.control.reactivateUser(REP1);
    expect((await googleCalendar(f.emu.url, f.delegatedKey, { subject: REP1 }).events.list({ calendarId: 'primary' })).status).toBe(200);
  });

  it('a removed user: invalid_grant', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1, REP2] });
    f.emu.control.removeUser(REP2);
    expect(await failure(googleAuth(f.emu.url, f.delegatedKey, { subject: REP2 }).getAccessToken())).toMatchObject({ status: 400, body: INVALID_GRANT });
  });

  it('a service account without delegation: 401 unauthorized_client with Google’s description', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    const err = await caught(googleCalendar(f.emu.url, f.bareKey, { subject: REP1 }).events.list({ calendarId: 'primary' }));
    expect(err).toMatchObject({ name: 'GaxiosError', status: 401 });
    expect(err.response?.data).toEqual(UNAUTHORIZED_CLIENT);
  });

  it('a service account delegated by another domain only: unauthorized_client', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    f.emu.control.addDomain('globex.test', { users: ['rep@globex.test'] });
    const err = await failure(googleAuth(f.emu.url, acmeOnly, { subject: 'rep@globex.test' }).getAccessToken());
    expect(err).toMatchObject({ status: 401, body: UNAUTHORIZED_CLIENT });
  });

  it('a grant without the requested scope: unauthorized_client; the granted scope works', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    const asked = await failure(googleAuth(f.emu.url, acmeReadOnly, { subject: REP1, scopes: [CALENDAR] }).getAccessToken());
    expect(asked).toMatchObject({ status: 401, body: UNAUTHORIZED_CLIENT });
    const both = await failure(googleAuth(f.emu.url, acmeReadOnly, { subject: REP1, scopes: [READONLY, CALENDAR] }).getAccessToken());
    expect(both).toMatchObject({ status: 401, body: UNAUTHORIZED_CLIENT });
    const reader = googleCalendar(f.emu.url, acmeReadOnly, { subject: REP1, scopes: [READONLY] });
    expect((await reader.events.list({ calendarId: 'primary' })).status).toBe(200);
  });

  it('an unknown user is invalid_grant even for a service account the domain did not delegate to (the user is looked up first)', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    expect(await failure(googleAuth(f.emu.url, f.bareKey, { subject: 'nobody@acme.test' }).getAccessToken())).toMatchObject({ status: 400, body: INVALID_GRANT });
  });
});

describe('backwards compatibility and undeclared domains', () => {
  it('with no domain declared, any address is a user (as before)', async () => {
    expect(f.emu.control.domains()).toEqual([]);
    const anyone = googleCalendar(f.emu.url, f.delegatedKey, { subject: 'whoever@anywhere.test' });
    expect((await anyone.calendars.get({ calendarId: 'primary' })).data.id).toBe('whoever@anywhere.test');
  });

  it('addresses in an undeclared domain stay open for an all-domains grant, but need the domain in a per-domain grant', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    expect((await f.user.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(USER.endsWith('@example.com')).toBe(true);
    expect(await failure(googleAuth(f.emu.url, acmeOnly, { subject: USER }).getAccessToken())).toMatchObject({ status: 401, body: UNAUTHORIZED_CLIENT });
  });

  it('removing a domain revokes its users’ tokens and makes its addresses undeclared again', async () => {
    f.emu.control.addDomain('acme.test', { users: [REP1] });
    const rep1 = googleCalendar(f.emu.url, f.delegatedKey, { subject: REP1 });
    expect((await rep1.events.list({ calendarId: 'primary' })).status).toBe(200);
    f.emu.control.removeDomain('acme.test');
    expect(await failure(rep1.events.list({ calendarId: 'primary' }))).toMatchObject({ status: 401, reason: 'authError' });
    expect((await googleAuth(f.emu.url, f.delegatedKey, { subject: 'nobody@acme.test' }).getAccessToken()).token).toMatch(/^ya29\./);
  });

  it('domain and user calls are refused with a reason when they make no sense', () => {
    expect(() => f.emu.control.addUser('rep@undeclared.test')).toThrow(/not declared/);
    expect(() => f.emu.control.addDomain('acme.test', { users: ['rep@globex.test'] })).toThrow(/not an address in acme\.test/);
    expect(() => f.emu.control.addDomain('not a domain')).toThrow(/not a domain name/);
    f.emu.control.addDomain('acme.test');
    expect(() => f.emu.control.suspendUser('ghost@acme.test')).toThrow(/Not Found/);
  });
});

describe('over HTTP (/__emulator)', () => {
  const post = (path: string, body?: unknown): Promise<Response> =>
    fetch(`${f.emu.url}/__emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });

  it('declares a domain, adds, suspends, reactivates and removes users, and registers a per-domain grant', async () => {
    expect((await post('/domains', { domain: 'acme.test', users: [REP1] })).status).toBe(204);
    expect((await post('/users', { email: REP2 })).status).toBe(204);
    expect((await post(`/users/${encodeURIComponent(REP2)}/suspend`)).status).toBe(204);
    const listed = (await (await fetch(`${f.emu.url}/__emulator/domains`)).json()) as unknown;
    expect(listed).toEqual({ domains: [{ domain: 'acme.test', users: [{ email: REP1, suspended: false }, { email: REP2, suspended: true }] }] });
    expect(await failure(googleAuth(f.emu.url, f.delegatedKey, { subject: REP2 }).getAccessToken())).toMatchObject({ status: 400, body: INVALID_GRANT });
    expect((await post(`/users/${encodeURIComponent(REP2)}/reactivate`)).status).toBe(204);
    expect((await googleAuth(f.emu.url, f.delegatedKey, { subject: REP2 }).getAccessToken()).token).toMatch(/^ya29\./);
    expect((await fetch(`${f.emu.url}/__emulator/users/${encodeURIComponent(REP2)}`, { method: 'DELETE' })).status).toBe(204);
    expect((await post('/users', { email: 'x@undeclared.test' })).status).toBe(400);

    const key = await generateServiceAccountKey({ clientEmail: 'http-registered@calsync-test.iam.gserviceaccount.com' });
    const registered = await post('/service-accounts', { ...key, domainWideDelegation: [{ domain: 'acme.test', scopes: [READONLY] }] });
    expect(registered.status).toBe(204);
    expect(await failure(googleAuth(f.emu.url, key, { subject: REP1 }).getAccessToken())).toMatchObject({ status: 401, body: UNAUTHORIZED_CLIENT });
    expect((await googleAuth(f.emu.url, key, { subject: REP1, scopes: [READONLY] }).getAccessToken()).token).toMatch(/^ya29\./);

    expect((await fetch(`${f.emu.url}/__emulator/domains/acme.test`, { method: 'DELETE' })).status).toBe(204);
    expect(f.emu.control.domains()).toEqual([]);
  });
});
