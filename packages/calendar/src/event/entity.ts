import { randomUUID } from 'node:crypto';
import { defineEntity, p, type EntitySchema, type Opt } from '@calsync/db';
import { entriesOf, type ColumnKind, type Field, type Source, type WriteSpec } from './field.ts';
import { ConnectedCalendar } from '../calendars/entity.ts';
import { API_JSON_COLUMN, apiJsonTriggerBody } from './json-sql.ts';
import { EVENT_FIELDS, type EventFields, type EventRecord } from './shape.ts';

/**
 * calendar_events as MikroORM knows it, derived from the shape: it is what `migration:create`
 * diffs against the database, and what the schema test holds the committed migrations to.
 * (Reads and writes go through SQL built from the same shape, see row.ts and store.ts.)
 */

/** The part of MikroORM's property builder that the shape's columns use. */
interface Property {
  nullable(): Property;
  default(value: boolean | never[]): Property;
  primary(): Property;
  onCreate(make: () => unknown): Property;
  onUpdate(make: () => unknown): Property;
  fieldName(name: string): Property;
}

const BUILDERS: Readonly<Record<ColumnKind, (field: Field<unknown>) => unknown>> = {
  uuid: () => p.uuid(),
  text: () => p.text(),
  enum: (field) => p.enum([...(field.column.values ?? [])]),
  boolean: () => p.boolean(),
  timestamptz: () => p.datetime(),
  jsonb: () => p.json(),
};

function propertyOf(field: Field<unknown>, columnName: string): Property {
  const { column, source } = field;
  // The calendar a row belongs to is a connected calendar: its events go with it.
  if (source === 'calendar') return (p.manyToOne(ConnectedCalendar).mapToPk().deleteRule('cascade') as unknown as Property).fieldName(columnName);
  let property = (BUILDERS[column.kind](field) as Property).fieldName(columnName);
  if (column.nullable) property = property.nullable();
  if (column.sqlDefault !== undefined) property = property.default((Array.isArray(column.sqlDefault) ? [] : typeof column.sqlDefault === 'object' ? '{}' : column.sqlDefault) as never);
  if (source === 'id') property = property.primary().onCreate(() => randomUUID());
  if (source === 'created' || source === 'updated') property = property.onCreate(() => new Date());
  if (source === 'updated') property = property.onUpdate(() => new Date());
  return property;
}

/** A stored event as the ORM sees it: the id, the database's timestamps and columns with a default may be left out on insert. */
export type CalendarEventEntity = {
  [K in keyof EventRecord]: EventFields[K] extends Field<unknown, 'id' | 'created' | 'updated'> | Field<unknown, Source, boolean, WriteSpec | undefined, true>
    ? Opt<EventRecord[K]>
    : EventRecord[K];
};

// Built from the shape at run time, so the builders' own type inference cannot see the fields: the
// entity's type is the shape's record instead.
export const CalendarEvent = defineEntity({
  name: 'CalendarEvent',
  tableName: 'calendar_events',
  properties: Object.fromEntries([
    ...entriesOf(EVENT_FIELDS).map(({ name, columnName, field }) => [name, propertyOf(field, columnName)]),
    // Not a field of the shape: the event's API JSON, written by the trigger below from the other
    // columns (see apiJsonTriggerBody), which list pages join instead of formatting every read.
    ['apiJson', p.text().nullable().fieldName(API_JSON_COLUMN)],
  ]),
  triggers: [{ name: 'api_json', timing: 'before', events: ['insert', 'update'], forEach: 'row', body: apiJsonTriggerBody() }],
  uniques: [
    // The sync upserts on this pair (a Google event id is only unique within its calendar).
    { name: 'calendar_events_calendar_id_google_event_id_unique', properties: ['calendarId', 'googleEventId'] },
  ],
  indexes: [
    // Serves the list query: equality on calendar_id, then keyset order (start_time, id) with no sort step.
    // Partial because cancelled rows are never listed and would only bloat the index.
    {
      name: 'calendar_events_list_idx',
      properties: ['calendarId', 'startTime', 'id'],
      where: `status <> 'cancelled'`,
    },
    // A series' occurrences, for edits of "this and following" or "all" of them.
    {
      name: 'calendar_events_series_idx',
      properties: ['calendarId', 'recurringEventId', 'originalStartTime'],
      where: `recurring_event_id is not null`,
    },
    // The few events longer than a day (trips, conferences), and the very few longer than 31 days
    // (leave): the list query reads each tier from its own index, bounded by the tier's length,
    // so no scan starts at the beginning of the calendar (see listWindowQuery).
    {
      name: 'calendar_events_long_idx',
      expression: `create index "calendar_events_long_idx" on "calendar_events" ("calendar_id", "start_time", "id") where status <> 'cancelled' and end_time - start_time > interval '1 day'`,
    },
    {
      name: 'calendar_events_very_long_idx',
      expression: `create index "calendar_events_very_long_idx" on "calendar_events" ("calendar_id", "start_time", "id") where status <> 'cancelled' and end_time - start_time > interval '31 days'`,
    },
    // A deal's meetings across calendars in (start, id) order, and a contact's (containment).
    {
      name: 'calendar_events_deal_idx',
      expression: `create index "calendar_events_deal_idx" on "calendar_events" ((links->>'dealId'), "start_time", "id") where links->>'dealId' is not null and status <> 'cancelled'`,
    },
    {
      name: 'calendar_events_contacts_idx',
      expression: `create index "calendar_events_contacts_idx" on "calendar_events" using gin ((links->'contactIds') jsonb_path_ops) where status <> 'cancelled'`,
    },
  ],
}) as unknown as EntitySchema<CalendarEventEntity>;
