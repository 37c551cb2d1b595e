import { deleteExpiredEvents, forgetExpiredStoppedChannels } from '@calsync/calendar';
import { AGENDA_JOBS_TABLE, AGENDA_LOGS_TABLE } from '../config.ts';
import type { JobContext } from './context.ts';

export interface CleanupResult {
  cancelledEventsDeleted: number;
  endedEventsDeleted: number;
  channelsForgotten: number;
  jobRecordsPruned: number;
  jobLogsPruned: number;
  reconciliationsPruned: number;
}

const DAY_MS = 24 * 3600_000;

/**
 * Retention, in our database only (never a Google call): cancelled events some days after they
 * were cancelled, events that ended before EVENT_RETENTION_DAYS, channels of stopped calendars
 * once expired, and old job records, job logs and reconcile history.
 */
export async function cleanup(ctx: JobContext): Promise<CleanupResult> {
  const now = ctx.now().getTime();
  const em = ctx.em.fork();
  const events = await deleteExpiredEvents(em, {
    cancelledBefore: new Date(now - ctx.config.cancelledRetentionDays * DAY_MS),
    endedBefore: new Date(now - ctx.config.eventRetentionDays * DAY_MS),
  });
  const channelsForgotten = await forgetExpiredStoppedChannels(em, new Date(now));
  const historyBefore = new Date(now - ctx.config.historyRetentionDays * DAY_MS);
  const count = async (sql: string): Promise<number> => {
    const rows = await em.execute<Array<{ n: string }>>(`with d as (${sql} returning 1) select count(*) as n from d`, [historyBefore]);
    return Number(rows[0]?.n ?? 0);
  };
  // One-off runs (e.g. "run now" from the dashboard or CLI) that finished; recurring jobs stay.
  const jobRecordsPruned = await count(
    `delete from "${AGENDA_JOBS_TABLE}" where type = 'normal' and next_run_at is null and last_finished_at < ?`,
  );
  const jobLogsPruned = await count(`delete from "${AGENDA_LOGS_TABLE}" where timestamp < ?`);
  const reconciliationsPruned = await count(`delete from sync_reconciliations where ran_at < ?`);
  return {
    cancelledEventsDeleted: events.cancelled,
    endedEventsDeleted: events.ended,
    channelsForgotten,
    jobRecordsPruned,
    jobLogsPruned,
    reconciliationsPruned,
  };
}
