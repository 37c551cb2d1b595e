import type { EntityManager } from '@calsync/db';
import { listWatchedCalendars } from './sync-state-store.ts';

/** One watched calendar as an operator sees it: no channel ids, tokens or event data. */
export interface CalendarHealth {
  calendarId: string;
  channelExpiration: string | null;
  /** Negative once the channel has expired. */
  channelExpiresInSeconds: number | null;
  lastSyncAgeSeconds: number | null;
  lastNotificationAgeSeconds: number | null;
}

export interface SyncHealth {
  calendars: CalendarHealth[];
  /** Why the calendars are not healthy; empty when they are. */
  reasons: string[];
}

const secondsBetween = (from: Date, to: Date) => Math.round((to.getTime() - from.getTime()) / 1000);

/**
 * The state of every watched calendar and what is wrong with it. An expired channel means
 * changes made in Google no longer reach us; a sync older than `maxSyncAgeMs` means even the
 * hourly reconcile has not been able to catch up. A silent channel is reported but is no reason
 * by itself: a quiet calendar gets no notifications.
 */
export async function readSyncHealth(em: EntityManager, opts: { now: Date; maxSyncAgeMs: number }): Promise<SyncHealth> {
  const { now, maxSyncAgeMs } = opts;
  const watched = await listWatchedCalendars(em);
  const reasons: string[] = [];
  const calendars = watched.map((w): CalendarHealth => {
    const expiration = w.channel?.expiration ?? null;
    const health: CalendarHealth = {
      calendarId: w.calendarId,
      channelExpiration: expiration?.toISOString() ?? null,
      channelExpiresInSeconds: expiration ? secondsBetween(now, expiration) : null,
      lastSyncAgeSeconds: w.lastSyncAt ? secondsBetween(w.lastSyncAt, now) : null,
      lastNotificationAgeSeconds: w.lastNotificationAt ? secondsBetween(w.lastNotificationAt, now) : null,
    };
    if (!expiration) reasons.push(`calendar ${w.calendarId}: watched but has no push channel`);
    else if (expiration <= now) reasons.push(`calendar ${w.calendarId}: push channel expired at ${expiration.toISOString()}`);
    if (!w.lastSyncAt) reasons.push(`calendar ${w.calendarId}: never synced successfully`);
    else if (now.getTime() - w.lastSyncAt.getTime() > maxSyncAgeMs) {
      reasons.push(`calendar ${w.calendarId}: last successful sync ${health.lastSyncAgeSeconds} s ago (max ${Math.round(maxSyncAgeMs / 1000)} s)`);
    }
    return health;
  });
  return { calendars, reasons };
}
