import { describe, expect, it } from 'vitest';
import { failure } from './google-client.ts';
import { USER, at, useEmulator } from './fixture.ts';

const f = useEmulator();
const base = { summary: 'Demo', start: at('2030-01-01T10:00:00Z'), end: at('2030-01-01T11:00:00Z') };

describe('events.insert', () => {
  it('returns the full Google resource, organizer/creator = the delegated user', async () => {
    const res = await f.user.events.insert({
      calendarId: 'primary',
      sendUpdates: 'none',
      requestBody: { ...base, description: 'd', location: 'l', attendees: [{ email: 'Bob@Example.com' }] },
    });
    expect(res.status).toBe(200);
    const ev = res.data;
    expect(ev).toMatchObject({
      kind: 'calendar#event',
      status: 'confirmed',
      summary: 'Demo',
      description: 'd',
      location: 'l',
      organizer: { email: USER, self: true },
      creator: { email: USER, self: true },
      start: { dateTime: '2030-01-01T10:00:00Z' },
      end: { dateTime: '2030-01-01T11:00:00Z' },
      attendees: [{ email: 'bob@example.com', responseStatus: 'needsAction' }],
      sequence: 0,
      reminders: { useDefault: true },
      eventType: 'default',
    });
    expect(ev.id).toMatch(/^[a-v0-9]{26}$/);
    expect(ev.iCalUID).toBe(`${ev.id}@google.com`);
    expect(ev.etag).toMatch(/^"\d{16}"$/);
    expect(ev.updated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(ev.htmlLink).toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
    expect(f.emu.control.stats()).toMatchObject({ 'events.insert': 1, 'events.list': 0 });
  });

  it('creates a Meet conference with conferenceDataVersion=1 only', async () => {
    const requestBody = { ...base, conferenceData: { createRequest: { requestId: 'r1', conferenceSolutionKey: { type: 'hangoutsMeet' } } } };
    const without = await f.user.events.insert({ calendarId: 'primary', requestBody });
    expect(without.data.conferenceData).toBeUndefined();
    const withMeet = await f.user.events.insert({ calendarId: 'primary', conferenceDataVersion: 1, requestBody });
    const code = withMeet.data.conferenceData?.conferenceId;
    expect(code).toMatch(/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(withMeet.data.hangoutLink).toBe(`https://meet.google.com/${code}`);
    expect(withMeet.data.conferenceData).toMatchObject({
      createRequest: { requestId: 'r1', status: { statusCode: 'success' } },
      entryPoints: [{ entryPointType: 'video', uri: `https://meet.google.com/${code}` }],
      conferenceSolution: { key: { type: 'hangoutsMeet' }, name: 'Google Meet' },
    });
  });

  it('accepts a client-chosen base32hex id once: 409 duplicate afterwards, even once deleted', async () => {
    const id = 'crm0123456789abcdefuv';
    expect((await f.user.events.insert({ calendarId: 'primary', requestBody: { ...base, id } })).data.id).toBe(id);
    expect(await failure(f.user.events.insert({ calendarId: 'primary', requestBody: { ...base, id } }))).toMatchObject({ status: 409, reason: 'duplicate' });
    await f.user.events.delete({ calendarId: 'primary', eventId: id });
    expect(await failure(f.user.events.insert({ calendarId: 'primary', requestBody: { ...base, id } }))).toMatchObject({ status: 409, reason: 'duplicate' });
  });

  it('rejects ids outside base32hex or too short', async () => {
    for (const id of ['abcd', 'has-dash-123', 'wxyz12345', 'UPPER12345']) {
      expect(await failure(f.user.events.insert({ calendarId: 'primary', requestBody: { ...base, id } }))).toMatchObject({ status: 400, reason: 'invalid' });
    }
  });

  it('validates times: required, timeRangeEmpty, time zone, all-day', async () => {
    const { start, ...noStart } = base;
    void start;
    expect(await failure(f.user.events.insert({ calendarId: 'primary', requestBody: noStart }))).toMatchObject({ status: 400, reason: 'required' });
    const empty = { ...base, end: base.start };
    expect(await failure(f.user.events.insert({ calendarId: 'primary', requestBody: empty }))).toMatchObject({ status: 400, reason: 'timeRangeEmpty' });
    const noZone = { ...base, start: at('2030-01-01T10:00:00'), end: at('2030-01-01T11:00:00') };
    expect(await failure(f.user.events.insert({ calendarId: 'primary', requestBody: noZone }))).toMatchObject({ status: 400, reason: 'required' });
    const paris = await f.user.events.insert({
      calendarId: 'primary',
      requestBody: { start: { dateTime: '2030-07-01T10:00:00', timeZone: 'Europe/Paris' }, end: { dateTime: '2030-07-01T11:00:00', timeZone: 'Europe/Paris' } },
    });
    expect(paris.data.start).toEqual({ dateTime: '2030-07-01T10:00:00+02:00', timeZone: 'Europe/Paris' });
    const allDay = await f.user.events.insert({ calendarId: 'primary', requestBody: { start: { date: '2030-01-01' }, end: { date: '2030-01-02' } } });
    expect(allDay.data.start).toEqual({ date: '2030-01-01' });
  });

  it('a service account without delegation cannot invite attendees nor create Meet', async () => {
    const attendees = await failure(f.bare.events.insert({ calendarId: 'primary', requestBody: { ...base, attendees: [{ email: 'bob@example.com' }] } }));
    expect(attendees).toMatchObject({ status: 403, reason: 'forbiddenForServiceAccounts' });
    const meet = await failure(
      f.bare.events.insert({
        calendarId: 'primary',
        conferenceDataVersion: 1,
        requestBody: { ...base, conferenceData: { createRequest: { requestId: 'r', conferenceSolutionKey: { type: 'hangoutsMeet' } } } },
      }),
    );
    expect(meet).toMatchObject({ status: 400, reason: 'invalid' });
    expect((meet.body as { error: { message: string } }).error.message).toBe('Invalid conference type value.');
    const plain = await f.bare.events.insert({ calendarId: 'primary', requestBody: base });
    expect(plain.data.organizer).toEqual({ email: f.bareKey.client_email, self: true });
  });
});

describe('events.get / patch / update / delete', () => {
  it('get: 404 for unknown, a deleted event is still returned as cancelled', async () => {
    expect(await failure(f.user.events.get({ calendarId: 'primary', eventId: 'unknown123' }))).toMatchObject({ status: 404, reason: 'notFound' });
    const { data } = await f.user.events.insert({ calendarId: 'primary', requestBody: base });
    const del = await f.user.events.delete({ calendarId: 'primary', eventId: data.id! });
    expect(del.status).toBe(204);
    const got = await f.user.events.get({ calendarId: 'primary', eventId: data.id! });
    expect(got.data.status).toBe('cancelled');
    expect(got.data.etag).not.toBe(data.etag);
  });

  it('delete twice: 204 then 410 deleted; unknown 404', async () => {
    const { data } = await f.user.events.insert({ calendarId: 'primary', requestBody: base });
    expect((await f.user.events.delete({ calendarId: 'primary', eventId: data.id! })).status).toBe(204);
    expect(await failure(f.user.events.delete({ calendarId: 'primary', eventId: data.id! }))).toMatchObject({ status: 410, reason: 'deleted' });
    expect(await failure(f.user.events.delete({ calendarId: 'primary', eventId: 'unknown123' }))).toMatchObject({ status: 404, reason: 'notFound' });
  });

  it('patch merges, bumps etag and updated, and sequence only on time changes', async () => {
    const { data } = await f.user.events.insert({ calendarId: 'primary', requestBody: { ...base, description: 'keep me' } });
    await new Promise((r) => setTimeout(r, 5));
    const renamed = await f.user.events.patch({ calendarId: 'primary', eventId: data.id!, requestBody: { summary: 'Renamed' } });
    expect(renamed.data).toMatchObject({ summary: 'Renamed', description: 'keep me', sequence: 0 });
    expect(renamed.data.etag).not.toBe(data.etag);
    expect(Date.parse(renamed.data.updated!)).toBeGreaterThan(Date.parse(data.updated!));
    const moved = await f.user.events.patch({ calendarId: 'primary', eventId: data.id!, requestBody: { end: at('2030-01-01T12:00:00Z') } });
    expect(moved.data).toMatchObject({ sequence: 1, end: { dateTime: '2030-01-01T12:00:00Z' } });
    expect(await failure(f.user.events.patch({ calendarId: 'primary', eventId: data.id!, requestBody: { end: at('2029-01-01T00:00:00Z') } }))).toMatchObject({
      status: 400,
      reason: 'timeRangeEmpty',
    });
  });

  it('patch and update with a stale If-Match answer 412 conditionNotMet; the current etag works', async () => {
    const { data } = await f.user.events.insert({ calendarId: 'primary', requestBody: base });
    const stale = data.etag!;
    const fresh = await f.user.events.patch({ calendarId: 'primary', eventId: data.id!, requestBody: { summary: 'A' } }, { headers: { 'If-Match': stale } });
    expect(fresh.status).toBe(200);
    const patchErr = await failure(f.user.events.patch({ calendarId: 'primary', eventId: data.id!, requestBody: { summary: 'B' } }, { headers: { 'If-Match': stale } }));
    expect(patchErr).toMatchObject({ status: 412, reason: 'conditionNotMet' });
    const updateErr = await failure(f.user.events.update({ calendarId: 'primary', eventId: data.id!, requestBody: { ...base, summary: 'C' } }, { headers: { 'If-Match': stale } }));
    expect(updateErr).toMatchObject({ status: 412, reason: 'conditionNotMet' });
    const updated = await f.user.events.update(
      { calendarId: 'primary', eventId: data.id!, requestBody: { start: base.start, end: base.end } },
      { headers: { 'If-Match': fresh.data.etag! } },
    );
    // update replaces: the summary is gone.
    expect(updated.data.summary).toBeUndefined();
    expect(f.emu.control.stats()).toMatchObject({ 'events.patch': 2, 'events.update': 2 });
  });
});

describe('Meet pending', () => {
  const g = useEmulator({ meetPendingMs: 50 });
  it('starts pending without a link, then becomes success as a real change', async () => {
    const res = await g.user.events.insert({
      calendarId: 'primary',
      conferenceDataVersion: 1,
      requestBody: { ...base, conferenceData: { createRequest: { requestId: 'r2', conferenceSolutionKey: { type: 'hangoutsMeet' } } } },
    });
    expect(res.data.conferenceData?.createRequest?.status?.statusCode).toBe('pending');
    expect(res.data.hangoutLink).toBeUndefined();
    await new Promise((r) => setTimeout(r, 120));
    const later = await g.user.events.get({ calendarId: 'primary', eventId: res.data.id! });
    expect(later.data.conferenceData?.createRequest?.status?.statusCode).toBe('success');
    expect(later.data.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(later.data.etag).not.toBe(res.data.etag);
  });
});
