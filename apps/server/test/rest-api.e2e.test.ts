import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSystem } from './support/system.ts';

/**
 * The seed's REST API, replayed as its callers send it: snake_case JSON, ISO 8601 strings, Bearer
 * token, If-Match and Idempotency-Key headers; answered by the same procedures as /trpc.
 */
const sys = useSystem();
beforeEach(async () => {
  await sys.reset();
  sys.emulator.control.resetStats();
});

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => v as Json;

async function call(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {}): Promise<Answer> {
  const token = opts.token === undefined ? sys.token : opts.token;
  const res = await fetch(`${sys.app.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? obj(JSON.parse(text)) : {} };
}

const fieldsOf = (a: Answer): string[] => ((obj(a.body.error).fields as { field: string }[] | undefined) ?? []).map((f) => f.field);

/** The seed's example request. */
const seedCreate = {
  summary: 'Discovery call with ACME',
  description: 'Agenda: pricing',
  location: 'Online',
  start_time: '2031-03-10T14:00:00Z',
  end_time: '2031-03-10T15:30:00+01:00',
  time_zone: 'Europe/Berlin',
  attendees: ['Buyer@acme.example'],
};
const week = '/calendar/events?time_min=2031-03-09T00:00:00Z&time_max=2031-03-16T00:00:00Z';

describe('POST /calendar/events', () => {
  it('creates the event with a Meet link and answers 201 with the seed shape', async () => {
    const res = await call('POST', '/calendar/events', { body: seedCreate });

    expect(res.status).toBe(201);
    const e = res.body;
    expect(Object.keys(e).sort()).toEqual(
      [
        'id', 'google_event_id', 'calendar_id', 'summary', 'description', 'location', 'start_time', 'end_time', 'time_zone', 'all_day',
        'meet_link', 'html_link', 'status', 'organizer_email', 'attendees', 'transparency', 'self_response_status', 'recurring_event_id', 'original_start_time',
        'links', 'etag', 'created_at', 'updated_at',
        // One event's answer (not a list's) also carries its series' rule.
        'recurrence',
      ].sort(),
    );
    expect(e.meet_link).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(e.start_time).toBe('2031-03-10T14:00:00.000Z');
    expect(e.end_time).toBe('2031-03-10T14:30:00.000Z');
    expect(e.status).toBe('confirmed');
    expect(e.all_day).toBe(false);
    expect(e.attendees).toEqual([{ email: 'buyer@acme.example', display_name: null, response_status: 'needsAction' }]);
    expect(e.transparency).toBe('opaque');
    expect(e.links).toEqual({ deal_id: null, contact_ids: [], company_id: null });
    // A one-off meeting belongs to no series.
    expect([e.recurring_event_id, e.original_start_time, e.recurrence]).toEqual([null, null, null]);
    expect(res.headers.get('location')).toBe(`/calendar/events/${String(e.id)}`);
    expect(res.headers.get('etag')).toBe(e.etag);

    const inGoogle = sys.emulator.control.listEvents(sys.calendarId);
    expect(inGoogle.map((g) => [g.id, g.hangoutLink])).toEqual([[e.google_event_id, e.meet_link]]);
  });

  it('skips the Meet link with create_meet_link: false', async () => {
    const res = await call('POST', '/calendar/events', { body: { ...seedCreate, create_meet_link: false } });
    expect(res.status).toBe(201);
    expect(res.body.meet_link).toBeNull();
  });

  it('makes one event when retried with the same Idempotency-Key header (or body key)', async () => {
    const first = await call('POST', '/calendar/events', { body: seedCreate, headers: { 'idempotency-key': 'crm-deal-42' } });
    const retry = await call('POST', '/calendar/events', { body: seedCreate, headers: { 'idempotency-key': 'crm-deal-42' } });
    const inBody = await call('POST', '/calendar/events', { body: { ...seedCreate, idempotency_key: 'crm-deal-42' } });

    expect([first.status, retry.status, inBody.status]).toEqual([201, 201, 201]);
    expect(retry.body.id).toBe(first.body.id);
    expect(inBody.body.id).toBe(first.body.id);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(1);
    expect(await sys.rowCount()).toBe(1);

    const clash = await call('POST', '/calendar/events', { body: { ...seedCreate, idempotency_key: 'a' }, headers: { 'idempotency-key': 'b' } });
    expect(clash.status).toBe(400);
    expect(fieldsOf(clash)).toEqual(['idempotency_key']);
  });

  it('answers 400 naming the fields (snake_case), and creates nothing', async () => {
    const badEmail = await call('POST', '/calendar/events', { body: { ...seedCreate, attendees: ['ok@acme.example', 'not-an-email'] } });
    expect(badEmail.status).toBe(400);
    expect(obj(badEmail.body.error).code).toBe('BAD_REQUEST');
    expect(fieldsOf(badEmail)).toEqual(['attendees.1']);

    const backwards = await call('POST', '/calendar/events', { body: { ...seedCreate, end_time: '2031-03-10T13:00:00Z' } });
    expect(backwards.status).toBe(400);
    expect(obj(backwards.body.error).fields).toEqual([{ field: 'end_time', message: 'must be after start_time' }]);

    // camelCase is the tRPC contract, not the REST one: refused like any unknown field.
    const unknown = await call('POST', '/calendar/events', { body: { ...seedCreate, startTime: '2031-03-10T14:00:00Z', color: 'red' } });
    expect(unknown.status).toBe(400);
    expect(fieldsOf(unknown).sort()).toEqual(['color', 'startTime']);

    const badDates = await call('POST', '/calendar/events', { body: { ...seedCreate, start_time: 'next tuesday', end_time: 1893456000 } });
    expect(badDates.status).toBe(400);
    expect(fieldsOf(badDates).sort()).toEqual(['end_time', 'start_time']);
    expect(String(obj(badDates.body.error).message)).toMatch(/start_time: must be an ISO 8601 date-time/);

    const several = await call('POST', '/calendar/events', { body: { summary: '', start_time: 'x', end_time: '2031-03-10T13:00:00Z' } });
    expect(fieldsOf(several).sort()).toEqual(['start_time', 'summary']);

    const notJson = await fetch(`${sys.app.url}/calendar/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sys.token}`, 'content-type': 'application/json' },
      body: '{"summary":',
    });
    expect(notJson.status).toBe(400);
    expect(obj(obj(await notJson.json()).error).code).toBe('BAD_REQUEST');

    expect(sys.emulator.control.stats()['events.insert'] ?? 0).toBe(0);
    expect(await sys.rowCount()).toBe(0);
  });

  it('answers 401 without a valid token', async () => {
    for (const token of [null, 'not-a-jwt']) {
      const res = await call('POST', '/calendar/events', { body: seedCreate, token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(obj(res.body.error).code).toBe('UNAUTHORIZED');
    }
    expect((await call('GET', week, { token: null })).status).toBe(401);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(0);
  });
});

describe('GET /calendar/events', () => {
  it('lists a window from our database, in the seed shape, page by page', async () => {
    const a = await call('POST', '/calendar/events', { body: seedCreate });
    const b = await call('POST', '/calendar/events', { body: { ...seedCreate, summary: 'Follow-up', start_time: '2031-03-12T09:00:00Z', end_time: '2031-03-12T09:30:00Z' } });
    await call('POST', '/calendar/events', { body: { ...seedCreate, summary: 'Next week', start_time: '2031-03-20T09:00:00Z', end_time: '2031-03-20T09:30:00Z' } });
    sys.emulator.control.resetStats();

    const all = await call('GET', week);
    expect(all.status).toBe(200);
    expect((all.body.items as Json[]).map((e) => e.id)).toEqual([a.body.id, b.body.id]);
    // A list's items are the events without the series' rule (read with GET /calendar/events/{id}).
    const listed = (e: Json) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'recurrence'));
    expect(all.body.items).toEqual([listed(a.body), listed(b.body)]);
    expect(all.body.next_cursor).toBeNull();

    const page1 = await call('GET', `${week}&limit=1`);
    expect((page1.body.items as Json[]).map((e) => e.summary)).toEqual([seedCreate.summary]);
    expect(typeof page1.body.next_cursor).toBe('string');
    const page2 = await call('GET', `${week}&limit=1&cursor=${encodeURIComponent(String(page1.body.next_cursor))}`);
    expect((page2.body.items as Json[]).map((e) => e.summary)).toEqual(['Follow-up']);

    expect(sys.emulator.control.stats()['events.list'] ?? 0).toBe(0);
  });

  it('answers 400 naming the query parameters', async () => {
    const missing = await call('GET', '/calendar/events?time_min=2031-03-09T00:00:00Z');
    expect(missing.status).toBe(400);
    expect(fieldsOf(missing)).toEqual(['time_max']);

    const bad = await call('GET', '/calendar/events?time_min=yesterday&time_max=2031-03-16T00:00:00Z&limit=ten');
    expect(fieldsOf(bad).sort()).toEqual(['limit', 'time_min']);

    const unknown = await call('GET', `${week}&timeMin=2031-03-09T00:00:00Z`);
    expect(fieldsOf(unknown)).toEqual(['timeMin']);

    const twice = await call('GET', `${week}&limit=1&limit=2`);
    expect(obj(twice.body.error).fields).toEqual([{ field: 'limit', message: 'must be given once' }]);
  });
});

describe('GET, PATCH, DELETE /calendar/events/{id}', () => {
  it('gets one event; 404 for an unknown id', async () => {
    const created = await call('POST', '/calendar/events', { body: seedCreate });
    const got = await call('GET', `/calendar/events/${String(created.body.id)}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const missing = await call('GET', '/calendar/events/0b0e7d2c-6a55-4b4e-9a3e-1d6f0c7a9e11');
    expect(missing.status).toBe(404);
    expect(obj(missing.body.error).code).toBe('NOT_FOUND');

    const notAnId = await call('GET', '/calendar/events/42');
    expect(notAnId.status).toBe(400);
    expect(fieldsOf(notAnId)).toEqual(['id']);
  });

  it('patches with If-Match (200, new etag) and refuses a stale If-Match with 412, writing nothing', async () => {
    const created = await call('POST', '/calendar/events', { body: seedCreate });
    const path = `/calendar/events/${String(created.body.id)}`;
    const oldEtag = String(created.body.etag);

    const patched = await call('PATCH', path, { body: { summary: 'Discovery call (moved)', start_time: '2031-03-11T14:00:00Z', end_time: '2031-03-11T15:00:00Z', location: null }, headers: { 'if-match': oldEtag } });
    expect(patched.status).toBe(200);
    expect(patched.body.summary).toBe('Discovery call (moved)');
    expect(patched.body.start_time).toBe('2031-03-11T14:00:00.000Z');
    expect(patched.body.location).toBeNull();
    expect(patched.body.etag).not.toBe(oldEtag);
    expect(patched.headers.get('etag')).toBe(patched.body.etag);

    const stale = await call('PATCH', path, { body: { summary: 'Overwrite with an old copy' }, headers: { 'if-match': oldEtag } });
    expect(stale.status).toBe(412);
    expect(obj(stale.body.error).code).toBe('PRECONDITION_FAILED');
    const after = await call('GET', path);
    expect(after.body.summary).toBe('Discovery call (moved)');
    expect(after.body.etag).toBe(patched.body.etag);
    expect(sys.emulator.control.listEvents(sys.calendarId)[0]?.summary).toBe('Discovery call (moved)');

    const backwards = await call('PATCH', path, { body: { end_time: '2031-03-11T13:00:00Z' } });
    expect(backwards.status).toBe(400);
    expect(fieldsOf(backwards)).toEqual(['end_time']);
    const idInBody = await call('PATCH', path, { body: { id: created.body.id } });
    expect(fieldsOf(idInBody)).toEqual(['id']);
  });

  it('cancels: 200 with status cancelled, gone from the list, still readable by id', async () => {
    const created = await call('POST', '/calendar/events', { body: seedCreate });
    const path = `/calendar/events/${String(created.body.id)}`;

    const deleted = await call('DELETE', path);
    expect(deleted.status).toBe(200);
    expect(deleted.body.status).toBe('cancelled');
    expect((await call('GET', week)).body.items).toEqual([]);
    expect((await call('GET', path)).body.status).toBe('cancelled');
    expect(sys.emulator.control.listEvents(sys.calendarId).filter((e) => e.status !== 'cancelled')).toHaveLength(0);
    expect((await call('DELETE', path)).status).toBe(200);
  });

  it('answers 405 with Allow for a method the path does not serve', async () => {
    const res = await call('PUT', '/calendar/events', { body: seedCreate });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET');
  });
});

describe('CRM links, free/busy and free slots', () => {
  it('takes links in snake_case, filters by deal_id, and names nested fields in errors', async () => {
    const created = await call('POST', '/calendar/events', {
      body: { summary: 'Deal review', start_time: '2031-04-01T09:00:00Z', end_time: '2031-04-01T09:30:00Z', links: { deal_id: 'rest-deal-1', contact_ids: ['c-1'] } },
    });
    expect(created.status).toBe(201);
    expect(created.body.links).toEqual({ deal_id: 'rest-deal-1', contact_ids: ['c-1'], company_id: null });
    const listed = await call('GET', '/calendar/events?deal_id=rest-deal-1');
    expect(listed.status).toBe(200);
    expect((listed.body.items as Array<{ id: string }>).map((e) => e.id)).toEqual([created.body.id]);

    const bad = await call('POST', '/calendar/events', { body: { summary: 'x', start_time: '2031-04-01T09:00:00Z', end_time: '2031-04-01T09:30:00Z', links: { deal_id: 'no spaces' } } });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad)).toEqual(['links.deal_id']);
    const camel = await call('POST', '/calendar/events', { body: { summary: 'x', start_time: '2031-04-01T09:00:00Z', end_time: '2031-04-01T09:30:00Z', links: { dealId: 'd-1' } } });
    expect(camel.status).toBe(400);
    expect(fieldsOf(camel)).toEqual(['links.dealId']);
  });

  it('answers free/busy and free slots', async () => {
    await call('POST', '/calendar/events', { body: { summary: 'Busy morning', start_time: '2031-04-07T08:00:00Z', end_time: '2031-04-07T09:00:00Z', create_meet_link: false } });
    const busy = await call('POST', '/calendar/free-busy', { body: { time_min: '2031-04-07T00:00:00Z', time_max: '2031-04-08T00:00:00Z' } });
    expect(busy.status).toBe(200);
    expect(busy.body).toMatchObject({ time_min: '2031-04-07T00:00:00.000Z', calendars: [{ busy: [{ start: '2031-04-07T08:00:00.000Z', end: '2031-04-07T09:00:00.000Z' }], error: null }] });
    const slots = await call('POST', '/calendar/find-slots', {
      body: { duration: 60, time_min: '2031-04-07T00:00:00Z', time_max: '2031-04-08T00:00:00Z', time_zone: 'UTC', working_hours: { start: '08:00', end: '12:00' }, limit: 2 },
    });
    expect(slots.status).toBe(200);
    expect(slots.body.slots).toEqual([
      { start: '2031-04-07T09:00:00.000Z', end: '2031-04-07T10:00:00.000Z' },
      { start: '2031-04-07T10:00:00.000Z', end: '2031-04-07T11:00:00.000Z' },
    ]);
    const bad = await call('POST', '/calendar/find-slots', { body: { duration: 60, time_min: '2031-04-07T00:00:00Z', time_max: '2031-04-08T00:00:00Z', time_zone: 'Mars/Base' } });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad)).toEqual(['time_zone']);
  });
});

describe('POST /calendar/watch', () => {
  it('opens a push channel and answers its fields', async () => {
    const res = await call('POST', '/calendar/watch');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['channel_id', 'expiration', 'resource_id']);
    expect(typeof res.body.channel_id).toBe('string');
    expect(typeof res.body.resource_id).toBe('string');
    expect(new Date(String(res.body.expiration)).getTime()).toBeGreaterThan(Date.now());
    expect(sys.emulator.control.stats()['events.watch']).toBe(1);

    // Changes made in Google now reach the REST list too.
    const made = sys.emulator.control.createEvent(sys.calendarId, {
      summary: 'Made in Google',
      start: { dateTime: '2031-03-13T10:00:00Z' },
      end: { dateTime: '2031-03-13T11:00:00Z' },
    });
    await sys.settle();
    expect((await call('GET', week)).body.items).toEqual([expect.objectContaining({ google_event_id: made.id, summary: 'Made in Google' })]);

    expect((await call('POST', '/calendar/watch', { body: { full: true } })).status).toBe(400);
  });
});

describe('API reference', () => {
  it('/openapi.json is a valid OpenAPI 3.1 document of the operations', async () => {
    const res = await fetch(`${sys.app.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = obj(await res.json());
    expect(doc.openapi).toBe('3.1.0');

    const operations = Object.entries(obj(doc.paths)).flatMap(([path, item]) => Object.keys(obj(item)).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'POST /calendar/events',
        'GET /calendar/events',
        'GET /calendar/events/{id}',
        'PATCH /calendar/events/{id}',
        'DELETE /calendar/events/{id}',
        'POST /calendar/watch',
        'GET /calendar/connection',
        'POST /calendar/connect',
        'POST /calendar/disconnect',
        'GET /calendar/connections',
        'POST /calendar/free-busy',
        'POST /calendar/find-slots',
      ].sort(),
    );
    expect(obj(obj(doc.components).securitySchemes).bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The body schema comes from the procedure's zod schema, under the REST names.
    const create = obj(obj(obj(doc.components).schemas).CreateEventBody);
    expect(create.required).toEqual(['summary', 'start_time', 'end_time']);
    expect(obj(obj(create.properties).start_time)).toMatchObject({ type: 'string', format: 'date-time' });
    expect(obj(obj(obj(create.properties).attendees).items)).toMatchObject({ format: 'email' });
    expect(create.additionalProperties).toBe(false);
    expect(Object.keys(obj(obj(obj(create.properties).links).properties))).toEqual(['deal_id', 'contact_ids', 'company_id']);

    // Validated by a real OpenAPI validator (schema and semantics), from a file as a caller's tooling would.
    const dir = await mkdtemp(join(tmpdir(), 'calsync-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));
      await expect(SwaggerParser.validate(file)).resolves.toBeTruthy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('/docs is a self-contained HTML page naming every endpoint', async () => {
    const res = await fetch(`${sys.app.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    for (const path of ['/calendar/events', '/calendar/events/{id}', '/calendar/watch', '/openapi.json']) expect(html).toContain(`<code>${path}</code>`);
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) expect(html).toContain(`>${method}</span>`);
    expect(html).toContain('idempotency_key');
    expect(html).not.toMatch(/<script|src="http|href="http/);
  });
});

describe('rate limit', () => {
  const limited = useSystem({ env: { RATE_LIMIT_API_PER_MINUTE: '2' } });

  it('counts REST calls against the same per-user limit and answers 429 with Retry-After', async () => {
    const get = () => fetch(`${limited.app.url}${week}`, { headers: { authorization: `Bearer ${limited.token}` } });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(obj(obj(await refused.json()).error).code).toBe('TOO_MANY_REQUESTS');
    // One budget per user across both APIs.
    await expect(limited.client.calendar.listEvents.query({ timeMin: new Date('2031-03-09'), timeMax: new Date('2031-03-16') })).rejects.toThrow(/Rate limit/);
  });
});
