import { describe, expect, it } from 'vitest';
import { generateServiceAccountKey } from '../src/index.ts';
import { failure, googleAuth, googleCalendar } from './google-client.ts';
import { USER, at, useEmulator } from './fixture.ts';

const f = useEmulator();
const event = { summary: 'x', start: at('2030-01-01T10:00:00Z'), end: at('2030-01-01T11:00:00Z') };

describe('token endpoint', () => {
  it('issues a Bearer token for a registered key, with expires_in of an hour', async () => {
    const jwt = googleAuth(f.emu.url, f.delegatedKey, { subject: USER });
    const { token } = await jwt.getAccessToken();
    expect(token).toMatch(/^ya29\./);
    expect(jwt.credentials.expiry_date! - Date.now()).toBeGreaterThan(3500_000);
    expect(f.emu.control.stats().token).toBe(1);
  });

  it('answers invalid_grant for a bad signature (same email and key id, different private key)', async () => {
    const impostor = { ...(await generateServiceAccountKey({ clientEmail: f.delegatedKey.client_email })), private_key_id: f.delegatedKey.private_key_id };
    const err = await failure(googleAuth(f.emu.url, impostor).getAccessToken());
    expect(err.status).toBe(400);
    expect(err.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers invalid_grant for an unknown service account', async () => {
    const stranger = await generateServiceAccountKey();
    const err = await failure(googleAuth(f.emu.url, stranger).getAccessToken());
    expect(err.status).toBe(400);
    expect(err.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers unauthorized_client when a service account without delegation asks for a subject', async () => {
    const err = await failure(googleAuth(f.emu.url, f.bareKey, { subject: USER }).getAccessToken());
    expect(err.status).toBe(401);
    expect(err.body).toMatchObject({ error: 'unauthorized_client' });
  });
});

describe('API authentication', () => {
  it('401 authError without a token, in the Google envelope', async () => {
    const res = await fetch(`${f.emu.url}/calendar/v3/calendars/primary/events`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: number; errors: { reason: string; domain: string }[] } };
    expect(body.error.code).toBe(401);
    expect(body.error.errors[0]).toMatchObject({ reason: 'authError', domain: 'global', locationType: 'header', location: 'Authorization' });
  });

  it('401 authError for an unknown token', async () => {
    const res = await fetch(`${f.emu.url}/calendar/v3/calendars/primary/events`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
  });

  it('401 once the access token expired on the emulator clock', async () => {
    let now = Date.now();
    const { startEmulator } = await import('../src/index.ts');
    const emu = await startEmulator({ now: () => now });
    try {
      emu.registerServiceAccount(f.delegatedKey, { domainWideDelegation: true });
      const { token } = await googleAuth(emu.url, f.delegatedKey, { subject: USER }).getAccessToken();
      const list = (): Promise<Response> => fetch(`${emu.url}/calendar/v3/calendars/primary/events`, { headers: { authorization: `Bearer ${token}` } });
      expect((await list()).status).toBe(200);
      now += 3601_000;
      expect((await list()).status).toBe(401);
    } finally {
      await emu.close();
    }
  });

  it('403 insufficientPermissions for a token without a calendar scope', async () => {
    const api = googleCalendar(f.emu.url, f.delegatedKey, { subject: USER, scopes: ['https://www.googleapis.com/auth/drive'] });
    const err = await failure(api.events.list({ calendarId: 'primary' }));
    expect(err).toMatchObject({ status: 403, reason: 'insufficientPermissions' });
  });

  it('a read-only scope may list but not insert', async () => {
    const api = googleCalendar(f.emu.url, f.delegatedKey, { subject: USER, scopes: ['https://www.googleapis.com/auth/calendar.readonly'] });
    expect((await api.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(await failure(api.events.insert({ calendarId: 'primary', requestBody: event }))).toMatchObject({ status: 403, reason: 'insufficientPermissions' });
  });

  it('unknown routes and malformed JSON use the envelope too', async () => {
    const { token } = await googleAuth(f.emu.url, f.delegatedKey, { subject: USER }).getAccessToken();
    const unknown = await fetch(`${f.emu.url}/calendar/v3/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
    const bad = await fetch(`${f.emu.url}/calendar/v3/calendars/primary/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"summary":',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 400, errors: [{ reason: 'parseError' }] } });
  });
});

describe('calendar access', () => {
  it('primary and the principal address are the same calendar; others are 404 until shared', async () => {
    const created = await f.user.events.insert({ calendarId: 'primary', requestBody: event });
    const viaEmail = await f.user.events.get({ calendarId: USER, eventId: created.data.id! });
    expect(viaEmail.data.id).toBe(created.data.id);
    expect(await failure(f.user.events.list({ calendarId: 'room@example.com' }))).toMatchObject({ status: 404, reason: 'notFound' });
    f.emu.control.createEvent('room@example.com', event);
    f.emu.control.shareCalendar('room@example.com', USER);
    expect((await f.user.events.list({ calendarId: 'room@example.com' })).data.items).toHaveLength(1);
  });
});

describe('token redirect mechanisms (what the real gateway can use)', () => {
  it('a request interceptor on the JWT transporter works too, if it keeps config.url a URL', async () => {
    const { JWT } = await import('google-auth-library');
    const { calendar } = await import('@googleapis/calendar');
    const jwt = new JWT({ email: f.delegatedKey.client_email, key: f.delegatedKey.private_key, scopes: ['https://www.googleapis.com/auth/calendar'], subject: USER });
    jwt.transporter.interceptors.request.add({
      resolved: async (cfg) => {
        if (cfg.url.href === 'https://oauth2.googleapis.com/token') cfg.url = new URL(`${f.emu.url}/token`);
        return cfg;
      },
    });
    const api = calendar({ version: 'v3', auth: jwt, rootUrl: `${f.emu.url}/` });
    const { data } = await api.events.insert({ calendarId: 'primary', requestBody: { ...event, id: 'intercept123' } });
    // Google errors must still surface as GaxiosError with status and reason.
    expect(await failure(api.events.insert({ calendarId: 'primary', requestBody: { ...event, id: data.id! } }))).toMatchObject({ status: 409, reason: 'duplicate' });
  });
});
