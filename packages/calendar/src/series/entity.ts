import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@calsync/db';
import { ConnectedCalendar } from '../calendars/entity.ts';

/**
 * A recurring meeting's series, as Google has it (the "master"): its rule and its first
 * occurrence. Its occurrences are rows of calendar_events (synced one by one, each with the
 * series' id in recurring_event_id); this row is where getEvent finds the rule, and what
 * "this and following" and "all" edits start from.
 */
export const CalendarSeries = defineEntity({
  name: 'CalendarSeries',
  tableName: 'calendar_series',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    calendarId: p.manyToOne(ConnectedCalendar).mapToPk().fieldName('calendar_id').deleteRule('cascade'),
    googleSeriesId: p.text().fieldName('google_series_id'),
    /** RFC 5545 RRULE / EXRULE / RDATE / EXDATE lines, as Google stores them. */
    recurrence: p.json<string[]>(),
    timeZone: p.text().fieldName('time_zone').nullable(),
    allDay: p.boolean().fieldName('all_day').default(false),
    startTime: p.datetime().fieldName('start_time'),
    endTime: p.datetime().fieldName('end_time'),
    summary: p.text(),
    etag: p.text().nullable(),
    googleUpdatedAt: p.datetime().fieldName('google_updated_at').nullable(),
    createdAt: p.datetime().fieldName('created_at').onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .fieldName('updated_at')
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  uniques: [{ name: 'calendar_series_calendar_id_google_series_id_unique', properties: ['calendarId', 'googleSeriesId'] }],
});
export type CalendarSeries = InferEntity<typeof CalendarSeries>;
