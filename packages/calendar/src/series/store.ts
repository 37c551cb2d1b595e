import { executeBound, type EntityManager } from '@calsync/db';
import type { GoogleEvent } from '@calsync/google';
import { eventTime, storableText } from '../event/google-values.ts';

/** A series as we keep it (see CalendarSeries). */
export interface SeriesFields {
  googleSeriesId: string;
  recurrence: string[];
  timeZone: string | null;
  allDay: boolean;
  startTime: Date;
  endTime: Date;
  summary: string;
  etag: string | null;
  googleUpdatedAt: Date | null;
}

/** A series (master) from Google's answer; null for anything else (a one-off event, an occurrence, a deleted series). */
export function seriesFromGoogle(event: GoogleEvent): SeriesFields | null {
  if (!event.id || !event.recurrence?.length || event.status === 'cancelled' || !event.start || !event.end) return null;
  return {
    googleSeriesId: event.id,
    recurrence: event.recurrence,
    timeZone: event.start.timeZone ?? null,
    allDay: Boolean(event.start.date && !event.start.dateTime),
    startTime: eventTime(event.start),
    endTime: eventTime(event.end),
    summary: storableText(event.summary ?? ''),
    etag: event.etag ?? null,
    googleUpdatedAt: event.updated ? new Date(event.updated) : null,
  };
}

/** Stores series as Google has them; older data never overwrites newer (Google `updated`). */
export async function upsertSeries(em: EntityManager, calendarId: string, series: readonly SeriesFields[]): Promise<number> {
  if (series.length === 0) return 0;
  const rows = await executeBound<{ n: number }>(
    em,
    `with written as (
       insert into calendar_series (id, calendar_id, google_series_id, recurrence, time_zone, all_day, start_time, end_time, summary, etag, google_updated_at, created_at, updated_at)
       select gen_random_uuid(), ?, r.google_series_id, r.recurrence, r.time_zone, r.all_day, r.start_time, r.end_time, r.summary, r.etag, r.google_updated_at, now(), now()
       from jsonb_to_recordset(?::jsonb) as r(google_series_id text, recurrence jsonb, time_zone text, all_day boolean, start_time timestamptz,
         end_time timestamptz, summary text, etag text, google_updated_at timestamptz)
       on conflict (calendar_id, google_series_id) do update set
         recurrence = excluded.recurrence, time_zone = excluded.time_zone, all_day = excluded.all_day, start_time = excluded.start_time,
         end_time = excluded.end_time, summary = excluded.summary, etag = excluded.etag, google_updated_at = excluded.google_updated_at, updated_at = now()
       where calendar_series.etag is distinct from excluded.etag
         and (calendar_series.google_updated_at is null or excluded.google_updated_at is null or excluded.google_updated_at >= calendar_series.google_updated_at)
       returning 1)
     select count(*)::int as n from written`,
    [
      calendarId,
      JSON.stringify(
        series.map((s) => ({
          google_series_id: s.googleSeriesId,
          recurrence: s.recurrence,
          time_zone: s.timeZone,
          all_day: s.allDay,
          start_time: s.startTime.toISOString(),
          end_time: s.endTime.toISOString(),
          summary: s.summary,
          etag: s.etag,
          google_updated_at: s.googleUpdatedAt?.toISOString() ?? null,
        })),
      ),
    ],
  );
  return rows[0]?.n ?? 0;
}

/** Forgets series Google deleted (their occurrences arrive cancelled by themselves). */
export async function deleteSeries(em: EntityManager, calendarId: string, googleSeriesIds: readonly string[]): Promise<void> {
  if (googleSeriesIds.length === 0) return;
  await executeBound(em, `delete from calendar_series where calendar_id = ? and google_series_id in (select jsonb_array_elements_text(?::jsonb))`, [
    calendarId,
    JSON.stringify(googleSeriesIds),
  ]);
}

/** After a full listing of series: forgets the ones Google no longer has (rows written since the listing began stay). */
export async function deleteSeriesAbsentFrom(em: EntityManager, calendarId: string, present: ReadonlySet<string>, listingStartedAt: Date): Promise<void> {
  await executeBound(
    em,
    `delete from calendar_series where calendar_id = ? and updated_at < ? and google_series_id not in (select jsonb_array_elements_text(?::jsonb))`,
    [calendarId, listingStartedAt, JSON.stringify([...present])],
  );
}

export async function findSeries(em: EntityManager, calendarId: string, googleSeriesId: string): Promise<SeriesFields | null> {
  const rows = await em.execute<
    Array<{ google_series_id: string; recurrence: string[]; time_zone: string | null; all_day: boolean; start_time: Date; end_time: Date; summary: string; etag: string | null; google_updated_at: Date | null }>
  >(`select google_series_id, recurrence, time_zone, all_day, start_time, end_time, summary, etag, google_updated_at from calendar_series where calendar_id = ? and google_series_id = ?`, [
    calendarId,
    googleSeriesId,
  ]);
  const r = rows[0];
  if (!r) return null;
  return {
    googleSeriesId: r.google_series_id,
    recurrence: r.recurrence,
    timeZone: r.time_zone,
    allDay: r.all_day,
    startTime: new Date(r.start_time),
    endTime: new Date(r.end_time),
    summary: r.summary,
    etag: r.etag,
    googleUpdatedAt: r.google_updated_at ? new Date(r.google_updated_at) : null,
  };
}
