import { useTestOrm } from '@calsync/db/testing/hooks';
import type { GoogleEvent } from '@calsync/google';
import { beforeAll, describe, expect, it } from 'vitest';
import { entities } from '../src/entities.ts';
import { entriesOf, snakeCase } from '../src/event/field.ts';
import { fromGoogleEvent, isCancelledStub, toGoogleEventBody } from '../src/event/google.ts';
import { API_JSON_COLUMN } from '../src/event/json-sql.ts';
import { createEventInput, updateEventInput } from '../src/event/inputs.ts';
import { EVENT_COLUMNS, toEventDTO } from '../src/event/row.ts';
import { EVENT_FIELDS } from '../src/event/shape.ts';
import { findEventByGoogleId, upsertGoogleEvents } from '../src/event/store.ts';
import { connectCalendars } from './support.ts';

// Everything about an event is derived from the shape: these tests fail when a derived place
// (the table, the column lists, the row mapping, the upsert, the Google mapping, the inputs)
// drops or misplaces a field.
const orm = useTestOrm({ entities });
beforeAll(() => connectCalendars(orm, 'rep@acme.test'));

const FIELDS = entriesOf(EVENT_FIELDS);
const API_NAMES = FIELDS.filter((f) => f.field.api).map((f) => f.name);

/** A Google event with every field we read set to something other than its default. */
const fullGoogleEvent: GoogleEvent = {
  id: 'shape00001',
  status: 'tentative',
  summary: 'Every field',
  description: 'Agenda',
  location: 'Room 4',
  start: { dateTime: '2031-05-05T10:00:00+02:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2031-05-05T11:00:00+02:00', timeZone: 'Europe/Berlin' },
  hangoutLink: 'https://meet.google.com/abc-defg-hij',
  htmlLink: 'https://calendar.google.com/event?eid=shape',
  organizer: { email: 'rep@acme.test' },
  attendees: [
    { email: 'buyer@acme.example', displayName: 'Buyer', responseStatus: 'accepted' },
    { email: 'rep@acme.test', responseStatus: 'tentative', self: true },
  ],
  transparency: 'transparent',
  extendedProperties: { private: { crmDealId: 'deal-1', crmContactIds: 'c-1,c-2', crmCompanyId: 'co-1' } },
  etag: '"42"',
  updated: '2031-01-01T00:00:00.000Z',
};

describe('the event shape', () => {
  it('is the table: calendar_events has exactly the shape\'s columns, by their snake_case names, and the JSON derived from them', async () => {
    const columns = await orm.em
      .fork()
      .execute<Array<{ column_name: string }>>(`select column_name from information_schema.columns where table_name = 'calendar_events' order by column_name`);
    // api_json: each event's API JSON, written by a trigger from the shape's columns (see json-sql.ts).
    expect(columns.map((c) => c.column_name)).toEqual([...FIELDS.map((f) => snakeCase(f.name)), API_JSON_COLUMN].sort());
  });

  it('reads every API field from a row, in the shape\'s order, and selects exactly those columns', () => {
    expect(EVENT_COLUMNS.split(', ')).toEqual(API_NAMES.map(snakeCase));
    const row = Object.fromEntries(FIELDS.map((f) => [snakeCase(f.name), f.field.column.kind === 'timestamptz' ? '2031-05-05 08:00:00+00' : f.field.column.kind === 'jsonb' ? [] : f.field.column.kind === 'boolean' ? true : 'x']));
    expect(Object.keys(toEventDTO(row))).toEqual(API_NAMES);
  });

  it('maps every field the shape reads from Google', () => {
    const fields = fromGoogleEvent(fullGoogleEvent);
    if (isCancelledStub(fields)) throw new Error('expected a full event');
    expect(Object.keys(fields).sort()).toEqual(FIELDS.filter((f) => f.field.source === 'google').map((f) => f.name).sort());
    expect(fields).toMatchObject({ googleEventId: 'shape00001', status: 'tentative', timeZone: 'Europe/Berlin', meetLink: 'https://meet.google.com/abc-defg-hij', etag: '"42"' });
    expect(fields).toMatchObject({ transparency: 'transparent', selfResponseStatus: 'tentative', links: { dealId: 'deal-1', contactIds: ['c-1', 'c-2'], companyId: 'co-1' } });
  });

  it('stores every field and reads it back unchanged (no column left out of the upsert or the row mapping)', async () => {
    const mapped = fromGoogleEvent(fullGoogleEvent);
    if (isCancelledStub(mapped)) throw new Error('expected a full event');
    // A value in every field, also those this Google event leaves empty.
    const sample: Record<string, unknown> = { text: 'sample', enum: 'confirmed', timestamptz: new Date('2031-05-06T07:08:09.010Z'), boolean: true };
    const fields = Object.fromEntries(
      Object.entries(mapped).map(([name, value]) => {
        const column = EVENT_FIELDS[name as keyof typeof EVENT_FIELDS].column;
        return [name, value ?? (column.values ? column.values.at(-1) : sample[column.kind])];
      }),
    ) as typeof mapped;
    await upsertGoogleEvents(orm.em.fork(), 'rep@acme.test', [fields]);
    const stored = await findEventByGoogleId(orm.em.fork(), 'rep@acme.test', 'shape00001');
    expect(stored).not.toBeNull();
    const dto = stored as Record<string, unknown>;
    for (const f of FIELDS.filter((x) => x.field.source === 'google' && x.field.api)) {
      expect(dto[f.name], f.name).not.toBeNull();
      expect(dto[f.name], f.name).toEqual((fields as Record<string, unknown>)[f.name]);
    }
    expect(stored).toMatchObject({ calendarId: 'rep@acme.test', status: 'tentative', allDay: false, timeZone: 'Europe/Berlin' });
  });

  it('takes every writable field on create and update, and sends each to Google', () => {
    const writable = FIELDS.filter((f) => f.field.write).map((f) => f.name);
    const created = createEventInput.parse({
      summary: 'Call',
      description: 'd',
      location: 'l',
      startTime: new Date('2031-05-05T08:00:00Z'),
      endTime: new Date('2031-05-05T09:00:00Z'),
      timeZone: 'Europe/Berlin',
      attendees: ['A@x.test'],
      transparency: 'transparent',
      links: { dealId: 'deal-9', contactIds: ['c-1', 'c-1', 'c-2'] },
    });
    for (const name of writable) expect(created, name).toHaveProperty(name);
    const updated = updateEventInput.parse({ id: '00000000-0000-4000-8000-000000000000', description: null, location: null, timeZone: null });
    expect(updated).toMatchObject({ description: null, location: null, timeZone: null });
    expect(toGoogleEventBody(created)).toEqual({
      summary: 'Call',
      description: 'd',
      location: 'l',
      start: { dateTime: '2031-05-05T08:00:00.000Z', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2031-05-05T09:00:00.000Z', timeZone: 'Europe/Berlin' },
      attendees: [{ email: 'a@x.test' }],
      transparency: 'transparent',
      extendedProperties: { private: { crmDealId: 'deal-9', crmContactIds: 'c-1,c-2', crmCompanyId: '' } },
    });
    expect(toGoogleEventBody({ description: null, location: null })).toEqual({ description: null, location: null });
  });
});
