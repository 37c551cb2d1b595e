import type { EntityManager } from '@calsync/db';
import type { CalendarState } from './entity.ts';

/** Reads and writes of connected_calendars: which calendars we serve, as whom, and how they are doing. */

export interface ConnectedCalendarRow {
  calendarId: string;
  subject: string | null;
  ownerId: string | null;
  state: CalendarState;
  stateReason: string | null;
  stateSince: Date;
  failures: number;
  retryAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `calendar_id, subject, owner_id, state, state_reason, state_since, failures, retry_at, last_error, last_error_at, created_at`;

type Row = {
  calendar_id: string;
  subject: string | null;
  owner_id: string | null;
  state: CalendarState;
  state_reason: string | null;
  state_since: Date | string;
  failures: number;
  retry_at: Date | string | null;
  last_error: string | null;
  last_error_at: Date | string | null;
  created_at: Date | string;
};

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null): Date | null => (v === null ? null : date(v));

function toCalendar(r: Row): ConnectedCalendarRow {
  return {
    calendarId: r.calendar_id,
    subject: r.subject,
    ownerId: r.owner_id,
    state: r.state,
    stateReason: r.state_reason,
    stateSince: date(r.state_since),
    failures: r.failures,
    retryAt: dateOrNull(r.retry_at),
    lastError: r.last_error,
    lastErrorAt: dateOrNull(r.last_error_at),
    createdAt: date(r.created_at),
  };
}

export async function findCalendar(em: EntityManager, calendarId: string): Promise<ConnectedCalendarRow | null> {
  const rows = await em.execute<Row[]>(`select ${COLUMNS} from connected_calendars where calendar_id = ?`, [calendarId]);
  return rows[0] ? toCalendar(rows[0]) : null;
}

/** The calendars a user owns, their own first (subject = their address), the most recently changed first. */
export async function findCalendarsOfOwner(em: EntityManager, ownerId: string): Promise<ConnectedCalendarRow[]> {
  const rows = await em.execute<Row[]>(`select ${COLUMNS} from connected_calendars where owner_id = ? order by updated_at desc limit 10`, [ownerId]);
  return rows.map(toCalendar);
}

/**
 * Connects (or reconnects) a calendar: active, as `subject`, owned by `ownerId` when given (an
 * admin connecting another user's calendar leaves the owner to be claimed by that user).
 * Failures and errors are cleared. Idempotent.
 */
export async function upsertConnected(
  em: EntityManager,
  c: { calendarId: string; subject: string | null; ownerId: string | null },
): Promise<ConnectedCalendarRow> {
  const rows = await em.execute<Row[]>(
    `insert into connected_calendars (calendar_id, subject, owner_id, state, state_since, failures, created_at, updated_at)
     values (?, ?, ?, 'active', now(), 0, now(), now())
     on conflict (calendar_id) do update set
       subject = excluded.subject,
       owner_id = coalesce(excluded.owner_id, connected_calendars.owner_id),
       state = 'active',
       state_reason = null,
       state_since = case when connected_calendars.state = 'active' then connected_calendars.state_since else now() end,
       failures = 0, retry_at = null, updated_at = now()
     returning ${COLUMNS}`,
    [c.calendarId, c.subject, c.ownerId],
  );
  return toCalendar(rows[0] as Row);
}

/** Binds an admin-connected calendar to the user it belongs to, the first time they use it. */
export async function claimCalendar(em: EntityManager, calendarId: string, ownerId: string): Promise<boolean> {
  const rows = await em.execute<Array<{ calendar_id: string }>>(
    `update connected_calendars set owner_id = ?, updated_at = now() where calendar_id = ? and owner_id is null returning calendar_id`,
    [ownerId, calendarId],
  );
  return rows.length > 0;
}

export async function markDisconnected(em: EntityManager, calendarId: string, reason: string): Promise<void> {
  await em.execute(
    `update connected_calendars set state = 'disconnected', state_reason = ?, state_since = now(), failures = 0, retry_at = null, updated_at = now()
     where calendar_id = ?`,
    [reason, calendarId],
  );
}

/**
 * Background work on a calendar failed (renewal, reconcile): it goes to `error` with the reason
 * and is tried again after a backoff that doubles with each consecutive failure, so one broken
 * calendar neither blocks the others nor is hammered. Returns the failure count and next try.
 */
export async function markFailed(
  em: EntityManager,
  calendarId: string,
  error: string,
  backoff: { baseMs: number; maxMs: number },
): Promise<{ failures: number; retryAt: Date }> {
  const rows = await em.execute<Array<{ failures: number; retry_at: Date | string }>>(
    `update connected_calendars set
       state = case when state = 'disconnected' then state else 'error' end,
       state_reason = case when state = 'disconnected' then state_reason else ? end,
       state_since = case when state = 'active' then now() else state_since end,
       failures = failures + 1,
       retry_at = now() + least(?::bigint, ?::bigint * power(2, failures)::bigint) * interval '1 millisecond',
       last_error = ?, last_error_at = now(), updated_at = now()
     where calendar_id = ?
     returning failures, retry_at`,
    [error, backoff.maxMs, backoff.baseMs, error, calendarId],
  );
  const row = rows[0];
  return { failures: row?.failures ?? 0, retryAt: row ? date(row.retry_at) : new Date() };
}

/** Background work on a calendar succeeded: a calendar in `error` is active again. */
export async function markHealthy(em: EntityManager, calendarId: string): Promise<void> {
  await em.execute(
    `update connected_calendars set state = 'active', state_reason = null, state_since = now(), failures = 0, retry_at = null, updated_at = now()
     where calendar_id = ? and state = 'error'`,
    [calendarId],
  );
}

/** A connected calendar as an admin sees it: its state, its push channel and its sync. */
export interface CalendarStatus extends ConnectedCalendarRow {
  channelExpiration: Date | null;
  lastSyncAt: Date | null;
  lastNotificationAt: Date | null;
}

/** Connected calendars by calendar id (keyset pages), optionally in one state, with channel and sync. */
export async function listCalendarStatuses(
  em: EntityManager,
  opts: { after?: string | undefined; limit: number; state?: CalendarState | undefined; only?: string | undefined },
): Promise<CalendarStatus[]> {
  const rows = await em.execute<Array<Row & { expiration: Date | string | null; last_sync_at: Date | string | null; last_notification_at: Date | string | null }>>(
    `select ${COLUMNS.split(', ').map((c) => `c.${c}`).join(', ')},
       case when s.active then s.expiration end as expiration, s.last_sync_at, s.last_notification_at
     from connected_calendars c left join calendar_sync_states s on s.calendar_id = c.calendar_id
     where (?::text is null or c.calendar_id > ?) and (?::text is null or c.state = ?) and (?::text is null or c.calendar_id = ?)
     order by c.calendar_id limit ?`,
    [opts.after ?? null, opts.after ?? null, opts.state ?? null, opts.state ?? null, opts.only ?? null, opts.only ?? null, opts.limit],
  );
  return rows.map((r) => ({
    ...toCalendar(r),
    channelExpiration: dateOrNull(r.expiration),
    lastSyncAt: dateOrNull(r.last_sync_at),
    lastNotificationAt: dateOrNull(r.last_notification_at),
  }));
}

/** Drops a calendar's stored events and its sync cursor (disconnect without keeping events). */
export async function forgetCalendarEvents(em: EntityManager, calendarId: string): Promise<number> {
  return em.transactional(async (tx) => {
    const deleted = await tx.execute<Array<{ n: string }>>(`with d as (delete from calendar_events where calendar_id = ? returning 1) select count(*) as n from d`, [calendarId]);
    await tx.execute(`update calendar_sync_states set sync_token = null, updated_at = now() where calendar_id = ?`, [calendarId]);
    return Number(deleted[0]?.n ?? 0);
  });
}

/** A calendar background work is due on, with what it needs to decide what to do. */
export interface DueCalendar {
  calendarId: string;
  state: CalendarState;
  /** The active push channel, if any. */
  channel: { channelId: string; resourceId: string; expiration: Date } | null;
  lastNotificationAt: Date | null;
  lastSyncAt: Date | null;
  lastFullSyncAt: Date | null;
}

type DueRow = {
  calendar_id: string;
  state: CalendarState;
  channel_id: string | null;
  resource_id: string | null;
  expiration: Date | string | null;
  last_notification_at: Date | string | null;
  last_sync_at: Date | string | null;
  last_full_sync_at: Date | string | null;
};

function toDue(r: DueRow): DueCalendar {
  const expiration = dateOrNull(r.expiration);
  return {
    calendarId: r.calendar_id,
    state: r.state,
    channel: r.channel_id && r.resource_id && expiration ? { channelId: r.channel_id, resourceId: r.resource_id, expiration } : null,
    lastNotificationAt: dateOrNull(r.last_notification_at),
    lastSyncAt: dateOrNull(r.last_sync_at),
    lastFullSyncAt: dateOrNull(r.last_full_sync_at),
  };
}

/** Skips calendars let go, and failing ones until their retry is due. */
const WORKABLE = `c.state <> 'disconnected' and (c.state <> 'error' or c.retry_at is null or c.retry_at <= ?)`;

/**
 * Watched calendars whose channel expires before `before` (or has expired), by calendar id, one
 * keyset page after `after`. Paged by id, not by expiration: renewing a calendar changes its
 * expiration, and a short-lived new channel must not bring it back in a later page of the same
 * run. A run that died resumes with what is still due.
 */
export async function calendarsDueForRenewal(
  em: EntityManager,
  opts: { before: Date; now: Date; after?: string | undefined; limit: number },
): Promise<DueCalendar[]> {
  const rows = await em.execute<DueRow[]>(
    `select c.calendar_id, c.state, s.channel_id, s.resource_id, s.expiration, s.last_notification_at, s.last_sync_at, s.last_full_sync_at
     from calendar_sync_states s join connected_calendars c on c.calendar_id = s.calendar_id
     where s.active and s.expiration < ? and ${WORKABLE} and s.calendar_id > ?
     order by s.calendar_id limit ?`,
    [opts.before, opts.now, opts.after ?? '', opts.limit],
  );
  return rows.map(toDue);
}

/**
 * Calendars reconcile is due on: watched ones (or failing ones whose retry is due) not
 * reconciled since `staleBefore`, by calendar id after `after`. A run stamps each calendar it
 * finishes (stampReconciled), so a run that died resumes with the ones it had not reached.
 */
export async function calendarsDueForReconcile(
  em: EntityManager,
  opts: { staleBefore: Date; now: Date; after?: string | undefined; limit: number },
): Promise<DueCalendar[]> {
  const rows = await em.execute<DueRow[]>(
    `select c.calendar_id, c.state,
       case when s.active then s.channel_id end as channel_id, case when s.active then s.resource_id end as resource_id,
       case when s.active then s.expiration end as expiration, s.last_notification_at, s.last_sync_at, s.last_full_sync_at
     from connected_calendars c left join calendar_sync_states s on s.calendar_id = c.calendar_id
     where (s.active or c.state = 'error') and ${WORKABLE}
       and (c.last_reconciled_at is null or c.last_reconciled_at < ?) and c.calendar_id > ?
     order by c.calendar_id limit ?`,
    [opts.now, opts.staleBefore, opts.after ?? '', opts.limit],
  );
  return rows.map(toDue);
}

export async function stampReconciled(em: EntityManager, calendarId: string, at: Date): Promise<void> {
  await em.execute(`update connected_calendars set last_reconciled_at = ? where calendar_id = ?`, [at, calendarId]);
}

/** Counts for metrics and health, whatever the number of calendars: one aggregate query. */
export interface CalendarSummary {
  byState: Record<CalendarState, number>;
  /** Active calendars with a live push channel. */
  watched: number;
  /** Active calendars whose push channel expires within `expiringWithinMs` (expired ones included). */
  channelsExpiring: number;
  /** Active calendars with a push channel that has expired. */
  channelsExpired: number;
  /** Watched active calendars without a successful sync for longer than `maxSyncAgeMs`, or never synced. */
  staleSyncs: number;
  /** The oldest last successful sync among watched active calendars (null: none synced yet). */
  oldestLastSyncAt: Date | null;
}

export async function summarizeCalendars(em: EntityManager, opts: { now: Date; expiringWithinMs: number; maxSyncAgeMs: number }): Promise<CalendarSummary> {
  const rows = await em.execute<
    Array<{ active: string; disconnected: string; error: string; watched: string; expiring: string; expired: string; stale: string; oldest: Date | string | null }>
  >(
    `select
       count(*) filter (where c.state = 'active') as active,
       count(*) filter (where c.state = 'disconnected') as disconnected,
       count(*) filter (where c.state = 'error') as error,
       count(*) filter (where c.state = 'active' and s.active) as watched,
       count(*) filter (where c.state = 'active' and s.active and s.expiration < ?::timestamptz + ? * interval '1 millisecond') as expiring,
       count(*) filter (where c.state = 'active' and s.active and s.expiration <= ?) as expired,
       count(*) filter (where c.state = 'active' and s.active and (s.last_sync_at is null or s.last_sync_at < ?::timestamptz - ? * interval '1 millisecond')) as stale,
       min(s.last_sync_at) filter (where c.state = 'active' and s.active) as oldest
     from connected_calendars c left join calendar_sync_states s on s.calendar_id = c.calendar_id`,
    [opts.now, opts.expiringWithinMs, opts.now, opts.now, opts.maxSyncAgeMs],
  );
  const r = rows[0];
  return {
    byState: { active: Number(r?.active ?? 0), disconnected: Number(r?.disconnected ?? 0), error: Number(r?.error ?? 0) },
    watched: Number(r?.watched ?? 0),
    channelsExpiring: Number(r?.expiring ?? 0),
    channelsExpired: Number(r?.expired ?? 0),
    staleSyncs: Number(r?.stale ?? 0),
    oldestLastSyncAt: r?.oldest ? date(r.oldest) : null,
  };
}
