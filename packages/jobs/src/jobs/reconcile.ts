import { listWatchedCalendars, SyncReconciliation } from '@calsync/calendar';
import type { JobContext } from './context.ts';
import { JobFailedError } from './renew-channels.ts';

export interface ReconcileResult {
  calendars: number;
  /** Changes found that no notification had brought (summed over calendars). */
  drift: number;
  silentChannels: string[];
  renewedChannels: string[];
  failed: Array<{ calendarId: string; error: string }>;
}

/**
 * For each watched calendar, an incremental sync even without a notification: it repairs
 * whatever a dropped notification left behind. What it repairs is recorded per calendar
 * (sync_reconciliations) so drift can be graphed. A channel that brought nothing while changes
 * were made is treated as lost (e.g. stopped at Google) and replaced.
 */
export async function reconcile(ctx: JobContext): Promise<ReconcileResult> {
  const calendars = await listWatchedCalendars(ctx.em.fork());
  const result: ReconcileResult = { calendars: calendars.length, drift: 0, silentChannels: [], renewedChannels: [], failed: [] };
  const now = ctx.now();
  for (const cal of calendars) {
    try {
      const synced = await ctx.sync.sync(cal.calendarId);
      const drift = synced.changed + synced.deleted;
      const lastHeard = cal.lastNotificationAt ?? null;
      const silent = !lastHeard || now.getTime() - lastHeard.getTime() > ctx.config.silentChannelAfterMs;
      // Drift and no notification since the previous sync: the channel missed changes outright.
      const missed = drift > 0 && (!lastHeard || !cal.lastSyncAt || lastHeard < cal.lastSyncAt);
      let renewed = false;
      if (missed || !cal.channel) {
        ctx.logger.warn({ job: 'reconcile', calendarId: cal.calendarId, drift }, 'channel missed changes: replacing it');
        await ctx.watch.watch(cal.calendarId);
        renewed = true;
        result.renewedChannels.push(cal.calendarId);
      }
      if (silent) {
        result.silentChannels.push(cal.calendarId);
        ctx.logger.warn({ job: 'reconcile', calendarId: cal.calendarId, lastNotificationAt: lastHeard?.toISOString() ?? null }, 'channel silent for unusually long');
      }
      result.drift += drift;
      const em = ctx.em.fork();
      em.create(SyncReconciliation, {
        calendarId: cal.calendarId,
        ranAt: now,
        changed: synced.changed,
        deleted: synced.deleted,
        fullSync: synced.fullSync,
        channelSilent: silent,
        channelRenewed: renewed,
      });
      await em.flush();
    } catch (err) {
      result.failed.push({ calendarId: cal.calendarId, error: err instanceof Error ? err.message : String(err) });
      ctx.logger.error({ job: 'reconcile', calendarId: cal.calendarId, err }, 'reconcile failed');
    }
  }
  if (result.failed.length > 0) throw new JobFailedError(`reconcile failed for ${result.failed.length} calendar(s)`);
  return result;
}
