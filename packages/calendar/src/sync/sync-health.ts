import type { EntityManager } from '@calsync/db';
import { summarizeCalendars, type CalendarSummary } from '../calendars/store.ts';

/**
 * The calendars as on-call sees them at a glance: counts only (no calendar ids, channel ids,
 * tokens or event data), so the answer is the same size with 10,000 calendars as with one.
 * Which calendars: the admin list (`calendar.calendars`).
 */
export interface SyncHealth {
  calendars: {
    byState: CalendarSummary['byState'];
    watched: number;
    channelsExpiringWithinDay: number;
    channelsExpired: number;
    staleSyncs: number;
    oldestLastSyncAgeSeconds: number | null;
  };
  /** Why the calendars are not healthy; empty when they are. */
  reasons: string[];
}

const DAY_MS = 24 * 3600_000;
const calendars = (n: number) => `${n} watched calendar${n === 1 ? '' : 's'}`;

/**
 * What is wrong with the watched calendars. An expired channel means changes made in Google no
 * longer reach us; a sync older than `maxSyncAgeMs` means even the hourly reconcile has not been
 * able to catch up. Calendars in `error` are counted but are no reason by themselves: each is
 * failing on its own and being retried (the admin list says why).
 */
export async function readSyncHealth(em: EntityManager, opts: { now: Date; maxSyncAgeMs: number }): Promise<SyncHealth> {
  const summary = await summarizeCalendars(em, { now: opts.now, expiringWithinMs: DAY_MS, maxSyncAgeMs: opts.maxSyncAgeMs });
  const reasons: string[] = [];
  if (summary.channelsExpired > 0) reasons.push(`${calendars(summary.channelsExpired)}: push channel expired`);
  if (summary.staleSyncs > 0) reasons.push(`${calendars(summary.staleSyncs)}: no successful sync within ${Math.round(opts.maxSyncAgeMs / 1000)} s`);
  return {
    calendars: {
      byState: summary.byState,
      watched: summary.watched,
      channelsExpiringWithinDay: summary.channelsExpiring,
      channelsExpired: summary.channelsExpired,
      staleSyncs: summary.staleSyncs,
      oldestLastSyncAgeSeconds: summary.oldestLastSyncAt ? Math.round((opts.now.getTime() - summary.oldestLastSyncAt.getTime()) / 1000) : null,
    },
    reasons,
  };
}
