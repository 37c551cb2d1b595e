import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Google's event statuses; the column is text + a CHECK so a new status fails loudly instead of being stored. */
export const CALENDAR_EVENT_STATUSES = ['confirmed', 'tentative', 'cancelled'] as const;
export type CalendarEventStatus = (typeof CALENDAR_EVENT_STATUSES)[number];

export type AttendeeResponseStatus = 'needsAction' | 'declined' | 'tentative' | 'accepted';

export interface CalendarEventAttendee {
  email: string;
  displayName: string | null;
  responseStatus: AttendeeResponseStatus;
}

export const CalendarEvent = defineEntity({
  name: 'CalendarEvent',
  tableName: 'calendar_events',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    calendarId: p.text().fieldName('calendar_id'),
    googleEventId: p.text().fieldName('google_event_id'),
    summary: p.text(),
    description: p.text().nullable(),
    location: p.text().nullable(),
    startTime: p.datetime().fieldName('start_time'),
    endTime: p.datetime().fieldName('end_time'),
    timeZone: p.text().fieldName('time_zone').nullable(),
    allDay: p.boolean().fieldName('all_day').default(false),
    meetLink: p.text().fieldName('meet_link').nullable(),
    htmlLink: p.text().fieldName('html_link').nullable(),
    status: p.enum(CALENDAR_EVENT_STATUSES),
    organizerEmail: p.text().fieldName('organizer_email').nullable(),
    attendees: p.json<CalendarEventAttendee[]>().default([]),
    etag: p.text().nullable(),
    googleUpdatedAt: p.datetime().fieldName('google_updated_at').nullable(),
    createdAt: p.datetime().fieldName('created_at').onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .fieldName('updated_at')
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
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
  ],
});
export type CalendarEvent = InferEntity<typeof CalendarEvent>;
