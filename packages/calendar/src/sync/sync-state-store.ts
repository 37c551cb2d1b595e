import { executeBound, LockMode, queryPrepared, type EntityManager } from '@calsync/db';
import { CalendarSyncState } from './sync-state-entity.ts';

/** Reads and writes of calendar_sync_states: one row per calendar we sync. */

export interface SyncStart {
  startedAt: Date;
  syncToken: string | null;
  /** The cursor of the series' listing (their rules; see SyncService). */
  seriesSyncToken: string | null;
  /** Who the service account acts as for this calendar (undefined: itself). */
  subject: string | undefined;
}

/**
 * Stamps the start of a sync (creating the calendar's sync row on first use) and returns its
 * cursor and subject; null when the calendar is not connected (unknown, or disconnected).
 */
export async function markSyncStarted(em: EntityManager, calendarId: string): Promise<SyncStart | null> {
  const rows = await em.execute<Array<{ sync_started_at: Date; sync_token: string | null; series_sync_token: string | null; subject: string | null }>>(
    `with calendar as (select calendar_id, subject from connected_calendars where calendar_id = ? and state <> 'disconnected'),
     stamped as (
       insert into calendar_sync_states (id, calendar_id, active, sync_started_at, created_at, updated_at)
       select gen_random_uuid(), calendar_id, false, clock_timestamp(), now(), now() from calendar
       on conflict (calendar_id) do update set sync_started_at = clock_timestamp(), updated_at = now()
       returning sync_started_at, sync_token, series_sync_token
     )
     select stamped.sync_started_at, stamped.sync_token, stamped.series_sync_token, calendar.subject from stamped, calendar`,
    [calendarId],
  );
  const row = rows[0];
  if (!row) return null;
  return { startedAt: new Date(row.sync_started_at), syncToken: row.sync_token, seriesSyncToken: row.series_sync_token, subject: row.subject ?? undefined };
}

/**
 * Saves the cursors only after every page they cover is committed (a crash re-syncs from the old
 * ones). A series cursor left undefined stays as it is; null clears it.
 */
export async function saveSyncToken(
  em: EntityManager,
  calendarId: string,
  tokens: { syncToken: string; seriesSyncToken: string | null | undefined },
  fullSync: boolean,
): Promise<void> {
  await em.execute(
    `update calendar_sync_states set sync_token = ?,
       series_sync_token = case when ? then series_sync_token else ? end, last_sync_at = now(),
       last_full_sync_at = case when ? then now() else last_full_sync_at end, updated_at = now()
     where calendar_id = ?`,
    [tokens.syncToken, tokens.seriesSyncToken === undefined, tokens.seriesSyncToken ?? null, fullSync, calendarId],
  );
}

/** An active channel as the webhook checks notifications against it. */
export interface ActiveChannel {
  calendarId: string;
  resourceId: string;
  /** The highest message number recorded (0: none yet). */
  lastMessageNumber: number;
}

/** The calendar's active channel with this id; null when no calendar's active channel has it (stopped, replaced, unknown). */
export async function findActiveChannel(em: EntityManager, channelId: string): Promise<ActiveChannel | null> {
  const rows = await queryPrepared<{ calendar_id: string; resource_id: string | null; last_message_number: string | number | null }>(
    em,
    'select calendar_id, resource_id, last_message_number from calendar_sync_states where channel_id = ? and active',
    [channelId],
  );
  const row = rows[0];
  if (!row?.resource_id) return null;
  return { calendarId: row.calendar_id, resourceId: row.resource_id, lastMessageNumber: Number(row.last_message_number ?? 0) };
}

/** A channel's latest notification, as recorded in a batch. */
export interface HeardNotification {
  channelId: string;
  messageNumber: number;
  at: Date;
}

/**
 * Records many channels' latest notifications in one statement: the highest message number seen
 * (never lowered) and when the latest came. Channels no longer active are left alone.
 */
export async function recordNotifications(em: EntityManager, heard: readonly HeardNotification[]): Promise<void> {
  if (heard.length === 0) return;
  await executeBound(
    em,
    `update calendar_sync_states s set
       last_message_number = greatest(coalesce(s.last_message_number, 0), v.n),
       last_notification_at = greatest(coalesce(s.last_notification_at, v.at), v.at),
       updated_at = now()
     from unnest(?::text[], ?::bigint[], ?::timestamptz[]) as v(channel_id, n, at)
     where s.channel_id = v.channel_id and s.active`,
    [heard.map((h) => h.channelId), heard.map((h) => h.messageNumber), heard.map((h) => h.at.toISOString())],
  );
}

export interface ChannelInfo {
  channelId: string;
  resourceId: string;
  expiration: Date;
}

/** Makes `channel` the calendar's active channel; returns the one it replaces, if any was active. */
export async function replaceChannel(em: EntityManager, calendarId: string, channel: ChannelInfo): Promise<ChannelInfo | null> {
  return em.transactional(async (tx) => {
    const state = await tx.findOne(CalendarSyncState, { calendarId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const previous =
      state?.active && state.channelId && state.resourceId && state.expiration
        ? { channelId: state.channelId, resourceId: state.resourceId, expiration: state.expiration }
        : null;
    const fields = {
      channelId: channel.channelId,
      resourceId: channel.resourceId,
      expiration: channel.expiration,
      active: true,
      // Message numbers count per channel.
      lastMessageNumber: null,
    };
    if (state) tx.assign(state, fields);
    else tx.create(CalendarSyncState, { calendarId, ...fields });
    return previous;
  });
}

/** Deactivates the calendar's channel; returns it if one was active. */
export async function deactivateChannel(em: EntityManager, calendarId: string): Promise<ChannelInfo | null> {
  return em.transactional(async (tx) => {
    const state = await tx.findOne(CalendarSyncState, { calendarId, active: true }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!state?.channelId || !state.resourceId || !state.expiration) return null;
    const channel = { channelId: state.channelId, resourceId: state.resourceId, expiration: state.expiration };
    tx.assign(state, { active: false });
    return channel;
  });
}

/**
 * Forgets the channel of stopped calendars once it has expired at Google too (nothing can
 * arrive on it any more). The row and its sync token stay: a later watch syncs incrementally.
 */
export async function forgetExpiredStoppedChannels(em: EntityManager, now: Date): Promise<number> {
  const rows = await em.execute<Array<{ id: string }>>(
    `update calendar_sync_states set channel_id = null, resource_id = null, expiration = null, last_message_number = null, updated_at = now()
     where not active and expiration < ? returning id`,
    [now],
  );
  return rows.length;
}
