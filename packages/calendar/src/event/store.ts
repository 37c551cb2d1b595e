import { executeBound, queryPrepared, type EntityManager } from '@calsync/db';
import { entriesOf, snakeCase, SQL_TYPES, type JsonStyle, type Source } from './field.ts';
import { API_JSON_COLUMN, DATE_ANNOTATIONS, eventDateMaskSql, eventJsonSql } from './json-sql.ts';
import type { CancelledEventStub } from './google.ts';
import { EVENT_COLUMNS, toEventDTO } from './row.ts';
import { EVENT_FIELDS, type EventDTO, type GoogleEventFields } from './shape.ts';

/**
 * The one place that writes Google's view of an event into calendar_events. Used by our own
 * writes (create/update/cancel answer with the event) and, later, by sync.
 *
 * Guarded: a row is only overwritten by data at least as new (Google `updated`) and with a
 * different etag (or a different series: see UPSERT_EVENTS), so a late or duplicated echo never
 * rolls back a newer row and an unchanged event costs no write. Returns the Google ids of rows actually inserted or changed.
 */
export async function upsertGoogleEvents(em: EntityManager, calendarId: string, events: readonly GoogleEventFields[]): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = await executeBound<{ google_event_id: string }>(em, `${UPSERT_EVENTS} returning google_event_id`, [calendarId, upsertPayload(events)]);
  return rows.map((r) => r.google_event_id);
}

/**
 * The same guarded upsert for sync pages, answering with counts of the rows actually inserted or
 * changed, by their new status: a 2,500-event page would otherwise come back as 2,500 result rows
 * to be parsed only to be counted.
 */
export async function upsertGoogleEventsCounted(
  em: EntityManager,
  calendarId: string,
  events: readonly GoogleEventFields[],
): Promise<{ live: number; cancelled: number }> {
  if (events.length === 0) return { live: 0, cancelled: 0 };
  const rows = await executeBound<{ live: number; cancelled: number }>(
    em,
    `with written as (${UPSERT_EVENTS} returning status)
     select count(*) filter (where status <> 'cancelled')::int as live, count(*) filter (where status = 'cancelled')::int as cancelled
     from written`,
    [calendarId, upsertPayload(events)],
  );
  return { live: rows[0]?.live ?? 0, cancelled: rows[0]?.cancelled ?? 0 };
}

const COLUMNS = entriesOf(EVENT_FIELDS);
/** The columns Google's data fills: the page's JSON records carry these (by column name). */
const FROM_GOOGLE = COLUMNS.filter((c) => c.field.source === 'google');

/** What fills each column on insert that does not come from Google, by where its value comes from. */
const INSERT_VALUE: Readonly<Record<Exclude<Source, 'google'>, string>> = { id: 'gen_random_uuid()', calendar: '?', created: 'now()', updated: 'now()' };

/**
 * The guarded upsert of a page of Google's events, from the shape. Parameters: the calendar id,
 * then the events as one JSON array (see upsertPayload). A row is only overwritten by data at
 * least as new (Google `updated`) and with a different etag.
 */
const UPSERT_EVENTS = `insert into calendar_events (${COLUMNS.map((c) => c.columnName).join(', ')})
     select ${COLUMNS.map((c) => (c.field.source === 'google' ? `r.${c.columnName}` : INSERT_VALUE[c.field.source])).join(', ')}
     from jsonb_to_recordset(?::jsonb) as r(${FROM_GOOGLE.map((c) => `${c.columnName} ${SQL_TYPES[c.field.column.kind]}`).join(', ')})
     on conflict (calendar_id, google_event_id) do update set
       ${[
         ...FROM_GOOGLE.filter((c) => c.name !== 'googleEventId').map((c) => `${c.columnName} = excluded.${c.columnName}`),
         ...COLUMNS.filter((c) => c.field.source === 'updated').map((c) => `${c.columnName} = now()`),
       ].join(', ')}
     where (calendar_events.etag is distinct from excluded.etag
            -- An occurrence stored before recurring meetings (as a one-off row) has Google's etag
            -- but not its series; the same etag must not leave it so.
            or calendar_events.recurring_event_id is distinct from excluded.recurring_event_id)
       and (calendar_events.google_updated_at is null or excluded.google_updated_at is null
            or excluded.google_updated_at >= calendar_events.google_updated_at)`;

/** The events as one JSON array, keyed by column name: a page travels as a single bound parameter. */
function upsertPayload(events: readonly GoogleEventFields[]): string {
  // ON CONFLICT cannot touch one row twice in a statement: keep the newest copy of each id.
  const byId = new Map<string, GoogleEventFields>();
  for (const e of events) {
    const seen = byId.get(e.googleEventId);
    if (!seen || (e.googleUpdatedAt?.getTime() ?? 0) >= (seen.googleUpdatedAt?.getTime() ?? 0)) byId.set(e.googleEventId, e);
  }
  return JSON.stringify(
    [...byId.values()].map((e) => {
      const values = e as Readonly<Record<string, unknown>>;
      const record: Record<string, unknown> = {};
      // Dates as ISO strings (JSON.stringify would too, through toJSON; explicit is cheaper).
      for (const c of FROM_GOOGLE) {
        const v = values[c.name];
        record[c.columnName] = v instanceof Date ? v.toISOString() : v;
      }
      return record;
    }),
  );
}

/** Marks events cancelled (Google deletions). Unknown ids need no row. Returns the ids changed. */
export async function cancelGoogleEvents(em: EntityManager, calendarId: string, stubs: readonly CancelledEventStub[]): Promise<string[]> {
  if (stubs.length === 0) return [];
  const rows = await executeBound<{ google_event_id: string }>(
    em,
    `update calendar_events e set status = 'cancelled', etag = coalesce(r.etag, e.etag), updated_at = now()
     from jsonb_to_recordset(?::jsonb) as r(google_event_id text, etag text)
     where e.calendar_id = ? and e.google_event_id = r.google_event_id and e.status <> 'cancelled'
     returning e.google_event_id`,
    [JSON.stringify(stubs.map((s) => ({ google_event_id: s.googleEventId, etag: s.etag }))), calendarId],
  );
  return rows.map((r) => r.google_event_id);
}

export async function findEvent(em: EntityManager, calendarId: string, id: string): Promise<EventDTO | null> {
  const rows = await em.execute<Array<Record<string, unknown>>>(`select ${EVENT_COLUMNS} from calendar_events where id = ? and calendar_id = ?`, [id, calendarId]);
  return rows[0] ? toEventDTO(rows[0]) : null;
}

export async function findEventByGoogleId(em: EntityManager, calendarId: string, googleEventId: string): Promise<EventDTO | null> {
  const rows = await em.execute<Array<Record<string, unknown>>>(`select ${EVENT_COLUMNS} from calendar_events where calendar_id = ? and google_event_id = ?`, [
    calendarId,
    googleEventId,
  ]);
  return rows[0] ? toEventDTO(rows[0]) : null;
}

/** A series' first live occurrence starting at or after `from`. */
export async function findFirstOccurrence(em: EntityManager, calendarId: string, seriesId: string, from: Date): Promise<EventDTO | null> {
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `select ${EVENT_COLUMNS} from calendar_events
     where calendar_id = ? and recurring_event_id = ? and status <> 'cancelled' and start_time >= ?
     order by start_time, id limit 1`,
    [calendarId, seriesId, from],
  );
  return rows[0] ? toEventDTO(rows[0]) : null;
}

export interface WindowQuery {
  calendarId: string;
  timeMin: Date;
  timeMax: Date;
  limit: number;
  /** Keyset position: the (startTime, id) of the last row of the previous page. */
  after?: { startTime: Date; id: string } | undefined;
}

/**
 * Events overlapping a window, by length. An event of at most `maxLength` that overlaps the
 * window started less than `maxLength` before it, so each tier's index scan has a lower bound
 * too. The last tier (longer than 31 days: rare) is scanned from the start of its small index.
 */
const LENGTH_TIERS = [
  { filter: `end_time - start_time <= interval '1 day'`, lowerBound: `interval '1 day'` },
  { filter: `end_time - start_time > interval '1 day' and end_time - start_time <= interval '31 days'`, lowerBound: `interval '31 days'` },
  { filter: `end_time - start_time > interval '31 days'`, lowerBound: null },
] as const;

/**
 * Events overlapping [timeMin, timeMax) (end > timeMin and start < timeMax), not cancelled,
 * ordered by (start, id), one keyset page. Fetches one extra row to know whether another page
 * exists.
 *
 * "start < timeMax and end > timeMin" alone bounds an index on start only from above: a window
 * late in a long calendar would scan every earlier event. So each length tier (see LENGTH_TIERS)
 * is an index range scan bounded on both sides, and PostgreSQL merges the already ordered
 * streams (Merge Append), stopping after `limit` rows: no scan of the past, no sort.
 */
export async function listWindow(em: EntityManager, q: WindowQuery): Promise<{ rows: EventDTO[]; hasMore: boolean }> {
  const { sql, params } = listWindowQuery({ ...q, limit: q.limit + 1 });
  // Prepared once per connection: PostgreSQL no longer parses and plans the three-part query on
  // every page.
  const rows = (await queryPrepared<Record<string, unknown>>(em, sql, params)).map(toEventDTO);
  const hasMore = rows.length > q.limit;
  return { rows: hasMore ? rows.slice(0, q.limit) : rows, hasMore };
}

/** A text in parts (JSON written by PostgreSQL, with what surrounds it), joined once by joinUtf8. */
export type TextParts = Array<string | Buffer>;

/**
 * The parts as one UTF-8 buffer, in one allocation: each part encoded (or copied) into place.
 * Not a Buffer per part joined with Buffer.concat: 250 buffers and a copy of the page were ~7 % of
 * a list page's server CPU in the profile; this way the server used 2-4 % less CPU per page
 * (8 alternating rounds against the Buffer.concat build, 2026-12-06).
 */
export function joinUtf8(parts: Readonly<TextParts>): Buffer {
  let length = 0;
  for (const part of parts) length += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const part of parts) at += typeof part === 'string' ? out.write(part, at) : part.copy(out, at);
  if (at !== length) throw new Error(`joinUtf8: wrote ${at} of ${length} bytes`);
  return out;
}

/** One list page as JSON written by PostgreSQL (see json-sql.ts). */
export interface PageText {
  /** The events' JSON array in parts (brackets, events, commas): joined once (joinUtf8), by whoever sends it. */
  items: TextParts;
  /** superjson's annotations of the page's items (`{"0":{"startTime":["Date"],...},...}`); `api` style only. */
  dates: string | null;
  /** Events in `items`. */
  count: number;
  hasMore: boolean;
  /** The keyset position of the page's last event. */
  last: { startTime: Date; id: string } | null;
}

/**
 * What each tier of a JSON page selects: the stored API JSON (written here only for a row that
 * has none: a trigger that did not fire, e.g. on a replica) and the date mask.
 */
const PAGE_SELECT = `start_time, id, coalesce(${API_JSON_COLUMN}, ${eventJsonSql('calendar_events')}) as json, ${eventDateMaskSql('calendar_events')} as dates`;

/**
 * A key in the API's JSON of an event that REST names otherwise (camelCase). In JSON written by
 * JSON.stringify or PostgreSQL's to_json, `"name":` is always a key: a quote inside a string is
 * escaped, and a string value is never followed by a colon.
 */
const CAMEL_KEY = /"([a-z]+[A-Z][A-Za-z]*)":/g;

/**
 * The REST form of an event's API JSON: the same values in the same order, every key in
 * snake_case (as toRestEvent and the columns name them). The property test compares the two.
 */
function restJsonOf(apiJson: string): string {
  return apiJson.replace(CAMEL_KEY, (_, key: string) => restKey(key));
}

/** `"key":` in REST's name, once per key: a page has ~20 of them per event, from the shape's few names. */
const REST_KEYS = new Map<string, string>();
function restKey(key: string): string {
  let rest = REST_KEYS.get(key);
  if (rest === undefined) REST_KEYS.set(key, (rest = `"${snakeCase(key)}":`));
  return rest;
}

/** A page row: the event's JSON and its date mask. */
export type JsonRow = [json: string, dates: number];

/**
 * The same page as listWindow (same query, order, keyset and overlap bound) as JSON written by
 * PostgreSQL, in one prepared statement: the JSON each row stores (`api_json`, kept by a trigger),
 * for REST with its keys in snake_case (restJsonOf). This process only joins the rows' texts: no
 * row objects (rows as arrays), no DTOs, no stringify.
 *
 * One text per row rather than one for the page (string_agg): measured with pgbench on a
 * 251-event page, PostgreSQL spends ~0.9 ms returning the rows' stored texts and 2.9 to 4.7 ms
 * aggregating and returning them as one 235 kB value (and 1.0 ms returning the plain columns).
 * The page stays in parts until it is sent: V8 took 1.5 ms to encode the same page joined into one
 * string (a 500-part rope), and 0.24 ms to encode its rows on their own (see joinUtf8).
 */
export async function listWindowJson(em: EntityManager, q: WindowQuery, style: JsonStyle): Promise<PageText> {
  // Not the id and start as text too: they made PostgreSQL's part of the page 1.9 ms instead of 1.0 (pgbench).
  const { sql, params } = listWindowQuery({ ...q, limit: q.limit + 1 }, PAGE_SELECT, 'json, dates');
  return pageTextOf(await queryPrepared<JsonRow>(em, sql, params, { rowMode: 'array' }), q.limit, style);
}

/**
 * A page of `limit` events from the rows of listWindowJson's statement (which reads one more, to
 * know whether another page exists): the rows' texts in parts, their annotations, the position.
 */
export function pageTextOf(rows: readonly JsonRow[], limit: number, style: JsonStyle): PageText {
  const count = Math.min(rows.length, limit);
  const chunks: TextParts = ['['];
  let dates = '{';
  for (let i = 0; i < count; i++) {
    const row = rows[i] as JsonRow;
    if (i > 0) chunks.push(',');
    chunks.push(style === 'api' ? row[0] : restJsonOf(row[0]));
    if (style === 'api') dates += `${i === 0 ? '' : ','}"${i}":${DATE_ANNOTATIONS[row[1]] ?? '{}'}`;
  }
  chunks.push(']');
  const lastRow = count > 0 ? rows[count - 1] : undefined;
  return {
    items: chunks,
    dates: style === 'api' ? `${dates}}` : null,
    count,
    hasMore: rows.length > limit,
    last: lastRow ? positionOf(lastRow[0]) : null,
  };
}

/** The keyset position of an event, read from its JSON (one per page: the last). */
function positionOf(apiJson: string): { startTime: Date; id: string } {
  const event = JSON.parse(apiJson) as Record<string, unknown>;
  const start = event.startTime;
  if (typeof event.id !== 'string' || typeof start !== 'string') throw new Error('a listed event has no id or start');
  return { startTime: new Date(start), id: event.id };
}

/** The list query itself (`?` placeholders), for listWindow and for EXPLAIN and benchmarks. */
export function listWindowQuery(q: WindowQuery, select: string = EVENT_COLUMNS, project = '*'): { sql: string; params: unknown[] } {
  const keyset = q.after ? 'and (start_time, id) > (?::timestamptz, ?::uuid)' : '';
  const keysetParams = q.after ? [q.after.startTime, q.after.id] : [];
  const { parts, params } = overlapTiers({ select, where: 'calendar_id = ?', whereParams: [q.calendarId], timeMin: q.timeMin, timeMax: q.timeMax, rest: keyset, restParams: keysetParams, limit: q.limit });
  let shapes = LIST_SQL.get(select);
  if (shapes === undefined) LIST_SQL.set(select, (shapes = new Map()));
  let texts = shapes.get(project);
  if (texts === undefined) shapes.set(project, (texts = []));
  const slot = q.after ? 1 : 0;
  // The same text object for every page of a shape: the prepared statements' lookup hashes an
  // 11 kB text once, not on every page (~2 % of a page's server CPU when it was joined anew).
  // overlapTiers' text depends only on `select` and the keyset clause, both part of the key.
  const sql = (texts[slot] ??= `select ${project} from (${parts.join(' union all ')}) page order by start_time, id limit ?`);
  return { sql, params: [...params, q.limit] };
}

/**
 * listWindowQuery's texts by select, then projection: [first page, later pages]. A few shapes in
 * all: its callers pass constants of this module (or the default), never text made per request.
 */
const LIST_SQL = new Map<string, Map<string, [first?: string, later?: string]>>();

/**
 * One query per length tier (see LENGTH_TIERS) for the live events overlapping [timeMin,
 * timeMax) that match `where`: each an index range scan bounded on both sides.
 */
export function overlapTiers(q: {
  select: string;
  where: string;
  whereParams: readonly unknown[];
  timeMin: Date;
  timeMax: Date;
  rest?: string;
  restParams?: readonly unknown[];
  limit?: number;
}): { parts: string[]; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const tier of LENGTH_TIERS) {
    const lower = tier.lowerBound ? `and start_time >= ?::timestamptz - ${tier.lowerBound}` : '';
    parts.push(`(select ${q.select} from calendar_events
      where ${q.where} and status <> 'cancelled' and ${tier.filter}
        ${lower} and start_time < ? and end_time > ? ${q.rest ?? ''}
      ${q.limit === undefined ? '' : 'order by start_time, id limit ?'})`);
    params.push(...q.whereParams, ...(tier.lowerBound ? [q.timeMin] : []), q.timeMax, q.timeMin, ...(q.restParams ?? []), ...(q.limit === undefined ? [] : [q.limit]));
  }
  return { parts, params };
}

/** Which CRM record's meetings to list (one of them). */
export type LinkFilter = { dealId: string } | { contactId: string };

export interface LinkedQuery {
  /** The calendars to look in; undefined: every calendar (admins). */
  calendarId: string | undefined;
  filter: LinkFilter;
  /** An optional window: events overlapping it. */
  timeMin?: Date | undefined;
  timeMax?: Date | undefined;
  limit: number;
  after?: { startTime: Date; id: string } | undefined;
}

/**
 * A deal's (or contact's) live meetings in (start, id) order, one keyset page: past and upcoming,
 * across calendars when no calendar is named. A deal has few meetings: the deal index (or the
 * contacts' GIN index) finds them all and the window, calendar and cursor filter those.
 */
export async function listLinked(em: EntityManager, q: LinkedQuery): Promise<{ rows: EventDTO[]; hasMore: boolean }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const and = (condition: string, ...values: unknown[]) => {
    where.push(condition);
    params.push(...values);
  };
  if ('dealId' in q.filter) and(`links->>'dealId' = ?`, q.filter.dealId);
  else and(`links->'contactIds' @> ?::jsonb`, JSON.stringify([q.filter.contactId]));
  if (q.calendarId !== undefined) and('calendar_id = ?', q.calendarId);
  if (q.timeMax) and('start_time < ?', q.timeMax);
  if (q.timeMin) and('end_time > ?', q.timeMin);
  if (q.after) and('(start_time, id) > (?::timestamptz, ?::uuid)', q.after.startTime, q.after.id);
  const rows = (
    await em.execute<Array<Record<string, unknown>>>(
      `select ${EVENT_COLUMNS} from calendar_events where status <> 'cancelled' and ${where.join(' and ')} order by start_time, id limit ?`,
      [...params, q.limit + 1],
    )
  ).map(toEventDTO);
  const hasMore = rows.length > q.limit;
  return { rows: hasMore ? rows.slice(0, q.limit) : rows, hasMore };
}

/**
 * After a full listing: every live local event of the calendar that Google no longer has is
 * cancelled (no ghosts). Rows written since the listing began (e.g. a create through our API
 * meanwhile) are left alone: the listing could not have seen them.
 */
export async function cancelEventsAbsentFrom(em: EntityManager, calendarId: string, presentIds: ReadonlySet<string>, listingStartedAt: Date): Promise<string[]> {
  const rows = await executeBound<{ google_event_id: string }>(
    em,
    `update calendar_events set status = 'cancelled', updated_at = now()
     where calendar_id = ? and status <> 'cancelled' and updated_at < ?
       and google_event_id not in (select jsonb_array_elements_text(?::jsonb))
     returning google_event_id`,
    [calendarId, listingStartedAt, JSON.stringify([...presentIds])],
  );
  return rows.map((r) => r.google_event_id);
}

/**
 * Retention: drops cancelled events once they have been cancelled for a while, and events that
 * ended before the retention horizon. Never a live event a current list window could show.
 */
export async function deleteExpiredEvents(em: EntityManager, opts: { cancelledBefore: Date; endedBefore: Date }): Promise<{ cancelled: number; ended: number }> {
  const count = async (sql: string, param: Date): Promise<number> => {
    const rows = await em.execute<Array<{ n: string }>>(`with d as (${sql} returning 1) select count(*) as n from d`, [param]);
    return Number(rows[0]?.n ?? 0);
  };
  const cancelled = await count(`delete from calendar_events where status = 'cancelled' and updated_at < ?`, opts.cancelledBefore);
  const ended = await count(`delete from calendar_events where end_time < ?`, opts.endedBefore);
  return { cancelled, ended };
}
