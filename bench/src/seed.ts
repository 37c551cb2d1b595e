import type pg from 'pg';

/** The span the list benchmark's rows cover: 156 weeks (3 years) of Mondays-to-Fridays, far from "now". */
export const SPAN = { start: new Date('2030-01-07T00:00:00Z'), weeks: 156 } as const;

/** The week in the middle of the span: what a user looking at "this week" asks for. */
export function middleWeek(): { timeMin: Date; timeMax: Date } {
  const timeMin = new Date(SPAN.start.getTime() + Math.floor(SPAN.weeks / 2) * 7 * 86_400_000);
  return { timeMin, timeMax: new Date(timeMin.getTime() + 7 * 86_400_000) };
}

const CHUNK = 100_000;

/**
 * Fills calendar_events for one calendar with `rows` events directly in SQL (what an API or a
 * sync would take minutes for). The mix a sales calendar has: 30-60 minute meetings on weekdays
 * between 08:00 and 18:00 UTC (96%), all-day events (3%), multi-day events of 2-5 days (1%);
 * about 5% cancelled. Seeded randomness: every run measures the same table shape.
 */
export async function seedEvents(sql: pg.Pool, calendarId: string, rows: number, onProgress?: (done: number) => void): Promise<void> {
  const client = await sql.connect();
  try {
    await client.query('select setseed(0.42)');
    for (let from = 1; from <= rows; from += CHUNK) {
      const to = Math.min(rows, from + CHUNK - 1);
      await client.query(INSERT, [calendarId, SPAN.start, SPAN.weeks, from, to]);
      onProgress?.(to);
    }
    // Fresh statistics and a visibility map, as autovacuum would have them on a table this old.
    await client.query('vacuum analyze calendar_events');
  } finally {
    client.release();
  }
}

// The random draws live in a subquery's select list: volatile functions there are evaluated per
// row (a lateral subquery without outer references could be computed once and repeated).
const INSERT = `
insert into calendar_events (id, calendar_id, google_event_id, summary, description, location, start_time, end_time,
  time_zone, all_day, meet_link, html_link, status, organizer_email, attendees, etag, google_updated_at, created_at, updated_at)
select gen_random_uuid(), $1::text, 'bench' || i,
  (array['Intro call', 'Product demo', 'Pipeline review', '1:1', 'Contract negotiation', 'Customer check-in', 'Team stand-up', 'Quarterly business review'])[1 + i % 8]
    || ' #' || i,
  case when i % 4 = 0 then 'Agenda: discovery, next steps, pricing questions. Deal ' || (i % 5000) end,
  case when i % 3 = 0 then 'Room ' || (1 + i % 12) end,
  t.start_time, t.end_time,
  case when t.all_day then null else 'Europe/Berlin' end,
  t.all_day,
  case when not t.all_day then 'https://meet.google.com/' || substr(md5(i::text), 1, 3) || '-' || substr(md5(i::text), 4, 4) || '-' || substr(md5(i::text), 8, 3) end,
  'https://www.google.com/calendar/event?eid=' || md5(i::text),
  case when s.c < 0.05 then 'cancelled' when s.c < 0.07 then 'tentative' else 'confirmed' end,
  $1::text,
  case when t.all_day then '[]'::jsonb else jsonb_build_array(
    jsonb_build_object('email', 'buyer' || (i % 9973) || '@example.com', 'displayName', 'Buyer ' || (i % 9973), 'responseStatus', 'accepted'),
    jsonb_build_object('email', 'champion' || (i % 7919) || '@example.com', 'displayName', null, 'responseStatus', 'needsAction')) end,
  '"' || (3000000000 + i) || '"',
  now(), now(), now()
from (
  select i,
    random() as k,
    floor(random() * $3::int)::int * 7 + floor(random() * 5)::int as day,
    floor(random() * 40)::int as slot,
    2 + floor(random() * 3)::int as quarters,
    2 + floor(random() * 4)::int as days,
    random() as c
  from generate_series($4::int, $5::int) as g(i)
) s
cross join lateral (
  select
    s.k < 0.04 as all_day,
    case when s.k < 0.04 then $2::timestamptz + s.day * interval '1 day'
         else $2::timestamptz + s.day * interval '1 day' + interval '8 hours' + s.slot * interval '15 minutes' end as start_time,
    case when s.k < 0.03 then $2::timestamptz + (s.day + 1) * interval '1 day'
         when s.k < 0.04 then $2::timestamptz + (s.day + s.days) * interval '1 day'
         else $2::timestamptz + s.day * interval '1 day' + interval '8 hours' + (s.slot + s.quarters) * interval '15 minutes' end as end_time
) t`;
