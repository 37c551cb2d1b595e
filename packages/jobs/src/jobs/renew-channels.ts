import { calendarsDueForRenewal, markFailed, markHealthy, type DueCalendar } from '@calsync/calendar';
import { forEachCalendar } from './batch.ts';
import type { JobContext } from './context.ts';

/** Calendars named in a run's result at most (the counts are exact; the logs have every one). */
export const MAX_LISTED = 100;
const PAGE = 200;

export interface RenewResult {
  checked: number;
  renewed: number;
  failed: Array<{ calendarId: string; error: string }>;
  /** Failures in all (`failed` lists the first MAX_LISTED). */
  failedCount: number;
}

/**
 * Replaces every active channel that expires within the renewal window, or has expired already
 * (a calendar that lost its channel gets a new one), a few at a time and paced.
 * WatchService.watch is make-before-break: new channel first, then the old one stopped, then an
 * incremental sync to cover the switch. A calendar that fails goes to `error` with the reason and
 * is retried after a backoff; the others are renewed all the same. The run fails (and Agenda
 * retries it) only when every renewal failed, e.g. Google is down.
 */
export async function renewChannels(ctx: JobContext): Promise<RenewResult> {
  const now = ctx.now();
  const before = new Date(now.getTime() + ctx.config.renewBeforeMs);
  const result: RenewResult = { checked: 0, renewed: 0, failed: [], failedCount: 0 };
  await forEachCalendar<DueCalendar>({
    page: (after) =>
      calendarsDueForRenewal(ctx.em.fork(), {
        before,
        now,
        after: after?.calendarId,
        limit: PAGE,
      }),
    concurrency: ctx.config.concurrency,
    perMinute: ctx.config.calendarsPerMinute,
    work: async (cal) => {
      result.checked++;
      try {
        const channel = await ctx.watch.watch(cal.calendarId);
        result.renewed++;
        if (cal.state === 'error') await markHealthy(ctx.em.fork(), cal.calendarId);
        ctx.logger.info(
          { job: 'renew-channels', calendarId: cal.calendarId, oldChannelId: cal.channel?.channelId ?? null, channelId: channel.channelId },
          'channel renewed',
        );
      } catch (err) {
        await recordFailure(ctx, 'renew-channels', cal.calendarId, err, result);
      }
    },
  });
  if (result.failedCount > 0 && result.renewed === 0) {
    throw new JobFailedError(
      `renewal failed for ${result.failedCount} of ${result.checked} calendar(s): ${result.failed
        .slice(0, 5)
        .map((f) => `${f.calendarId}: ${f.error}`)
        .join('; ')}`,
    );
  }
  return result;
}

/** One calendar's background work failed: it goes to `error` and waits for its retry; the run goes on. */
export async function recordFailure(
  ctx: JobContext,
  job: 'renew-channels' | 'reconcile',
  calendarId: string,
  err: unknown,
  result: { failed: Array<{ calendarId: string; error: string }>; failedCount: number },
): Promise<void> {
  const error = err instanceof Error ? err.message : String(err);
  result.failedCount++;
  if (result.failed.length < MAX_LISTED) result.failed.push({ calendarId, error });
  try {
    const { failures, retryAt } = await markFailed(ctx.em.fork(), calendarId, error, ctx.config.failureBackoff);
    ctx.logger.error({ job, calendarId, err, failures, retryAt: retryAt.toISOString() }, `${job === 'reconcile' ? 'reconcile' : 'channel renewal'} failed; will retry`);
  } catch (markErr) {
    ctx.logger.error({ job, calendarId, err, markErr }, `${job} failed, and so did recording it`);
  }
  ctx.onCalendarFailed?.(job);
}

export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
}
