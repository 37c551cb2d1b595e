import { calendarsDueForReconcile, markHealthy, stampReconciled, SyncReconciliation, type DueCalendar, type SyncResult } from '@calsync/calendar';
import { forEachCalendar } from './batch.ts';
import type { JobContext } from './context.ts';
import { JobFailedError, MAX_LISTED, recordFailure } from './renew-channels.ts';

const PAGE = 200;

export interface ReconcileResult {
  calendars: number;
  /** Changes found that no notification had brought (summed over calendars). */
  drift: number;
  /** Occurrences of recurring series the periodic full listings brought into the horizon (or changed). */
  horizonRolled: number;
  /** Calendars whose channel was silent for unusually long (the first MAX_LISTED). */
  silentChannels: string[];
  /** Calendars whose channel was replaced (the first MAX_LISTED). */
  renewedChannels: string[];
  failed: Array<{ calendarId: string; error: string }>;
  failedCount: number;
}

/**
 * For each watched calendar not reconciled within half the job's interval (so a run that died
 * resumes with the calendars it had not reached), an incremental sync even without a
 * notification: it repairs whatever a dropped notification left behind. What it repairs is
 * recorded per calendar (sync_reconciliations) so drift can be graphed. A channel that brought
 * nothing while changes were made is treated as lost (e.g. stopped at Google) and replaced; a
 * failing calendar whose retry is due is watched anew. One calendar's failure is its own.
 */
export async function reconcile(ctx: JobContext): Promise<ReconcileResult> {
  const now = ctx.now();
  const staleBefore = new Date(now.getTime() - ctx.config.every.reconcile / 2);
  const result: ReconcileResult = { calendars: 0, drift: 0, horizonRolled: 0, silentChannels: [], renewedChannels: [], failed: [], failedCount: 0 };
  let succeeded = 0;
  await forEachCalendar<DueCalendar>({
    page: (after) => calendarsDueForReconcile(ctx.em.fork(), { staleBefore, now, after: after?.calendarId, limit: PAGE }),
    concurrency: ctx.config.concurrency,
    perMinute: ctx.config.calendarsPerMinute,
    work: async (cal) => {
      result.calendars++;
      try {
        await reconcileOne(ctx, cal, now, result);
        succeeded++;
      } catch (err) {
        await recordFailure(ctx, 'reconcile', cal.calendarId, err, result);
      }
    },
  });
  if (result.failedCount > 0 && succeeded === 0) throw new JobFailedError(`reconcile failed for all ${result.failedCount} calendar(s) due`);
  return result;
}

async function reconcileOne(ctx: JobContext, cal: DueCalendar, now: Date, result: ReconcileResult): Promise<void> {
  const lastHeard = cal.lastNotificationAt;
  const silent = cal.channel !== null && (!lastHeard || now.getTime() - lastHeard.getTime() > ctx.config.silentChannelAfterMs);
  let synced: SyncResult;
  let renewed = false;
  if (!cal.channel) {
    // No live channel (a failing calendar being retried): watching syncs it too.
    ctx.logger.warn({ job: 'reconcile', calendarId: cal.calendarId }, 'calendar has no channel: watching it anew');
    synced = (await ctx.watch.watch(cal.calendarId)).initialSync;
    renewed = true;
  } else {
    synced = await ctx.sync.sync(cal.calendarId);
    const drift = synced.changed + synced.deleted;
    // Drift and no notification since the previous sync: the channel missed changes outright.
    if (drift > 0 && (!lastHeard || !cal.lastSyncAt || lastHeard < cal.lastSyncAt)) {
      ctx.logger.warn({ job: 'reconcile', calendarId: cal.calendarId, drift }, 'channel missed changes: replacing it');
      await ctx.watch.watch(cal.calendarId);
      renewed = true;
    }
    // Rolls the horizon of endless recurring series forward (see JobsConfig.fullSyncEveryMs). After
    // the incremental sync above, so that occurrences coming into the horizon are not taken for drift.
    const last = synced.fullSync ? now : cal.lastFullSyncAt;
    if (!last || now.getTime() - last.getTime() > ctx.config.fullSyncEveryMs) {
      const full = await ctx.sync.sync(cal.calendarId, { full: true });
      synced = { ...synced, fullSync: true };
      result.horizonRolled += full.changed;
    }
  }
  if (renewed && result.renewedChannels.length < MAX_LISTED) result.renewedChannels.push(cal.calendarId);
  if (silent) {
    if (result.silentChannels.length < MAX_LISTED) result.silentChannels.push(cal.calendarId);
    ctx.logger.warn({ job: 'reconcile', calendarId: cal.calendarId, lastNotificationAt: lastHeard?.toISOString() ?? null }, 'channel silent for unusually long');
  }
  result.drift += synced.changed + synced.deleted;
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
  await stampReconciled(em, cal.calendarId, now);
  if (cal.state === 'error') await markHealthy(em, cal.calendarId);
}
