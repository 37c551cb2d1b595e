import { listWatchedCalendars } from '@calsync/calendar';
import type { JobContext } from './context.ts';

export interface RenewResult {
  checked: number;
  renewed: number;
  failed: Array<{ calendarId: string; error: string }>;
}

/**
 * Replaces every active channel that expires within the renewal window, or has expired already
 * (a calendar that lost its channel gets a new one). WatchService.watch is make-before-break:
 * new channel first, then the old one stopped, then an incremental sync to cover the switch.
 * Throws when any renewal failed, so Agenda retries the job with backoff and shows it failed.
 */
export async function renewChannels(ctx: JobContext): Promise<RenewResult> {
  const horizon = new Date(ctx.now().getTime() + ctx.config.renewBeforeMs);
  const due = await listWatchedCalendars(ctx.em.fork(), { channelExpiringBefore: horizon });
  const result: RenewResult = { checked: due.length, renewed: 0, failed: [] };
  for (const cal of due) {
    try {
      const channel = await ctx.watch.watch(cal.calendarId);
      result.renewed++;
      ctx.logger.info(
        { job: 'renew-channels', calendarId: cal.calendarId, oldChannelId: cal.channel?.channelId ?? null, channelId: channel.channelId },
        'channel renewed',
      );
    } catch (err) {
      result.failed.push({ calendarId: cal.calendarId, error: err instanceof Error ? err.message : String(err) });
      ctx.logger.error({ job: 'renew-channels', calendarId: cal.calendarId, err }, 'channel renewal failed');
    }
  }
  if (result.failed.length > 0) {
    throw new JobFailedError(`renewal failed for ${result.failed.length} of ${due.length} calendar(s): ${result.failed.map((f) => `${f.calendarId}: ${f.error}`).join('; ')}`);
  }
  return result;
}

export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
}
