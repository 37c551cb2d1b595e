import { useTestOrm } from '@calsync/db/testing/hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { entities } from '../src/entities.ts';
import { listWindow, listWindowQuery } from '../src/event/store.ts';
import { connectCalendars } from './support.ts';

// The list query must stay two bounded index range scans merged in order, however late in a
// long calendar the window is: no sequential scan, no sort of the matching rows.
const orm = useTestOrm({ entities });
beforeAll(() => connectCalendars(orm, 'rep@acme.test'));
const CAL = 'rep@acme.test';

beforeAll(async () => {
  // Three years of meetings every 30 minutes of working hours, some multi-day events, ~5% cancelled.
  await orm.em.fork().execute(
    `insert into calendar_events (id, calendar_id, google_event_id, summary, start_time, end_time, status, attendees, created_at, updated_at)
     select gen_random_uuid(), ?, 'g' || i, 'm' || i, t,
            t + case when i % 5000 = 0 then interval '60 days' when i % 50 = 0 then interval '3 days' else interval '45 minutes' end,
            case when i % 20 = 0 then 'cancelled' else 'confirmed' end, '[]', now(), now()
     from generate_series(1, 60000) as i, lateral (select timestamptz '2030-01-01' + i * interval '26 minutes' as t) s`,
    [CAL],
  );
  await orm.em.fork().execute('analyze calendar_events');
}, 120_000);

async function plan(after?: { startTime: Date; id: string }): Promise<string> {
  const { sql, params } = listWindowQuery({ calendarId: CAL, timeMin: new Date('2032-06-07T00:00:00Z'), timeMax: new Date('2032-06-14T00:00:00Z'), limit: 251, after });
  const rows = await orm.em.fork().execute<Array<{ 'QUERY PLAN': string }>>(`explain ${sql}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('the list query plan', () => {
  it('is a merge of two index range scans, with no sequential scan and no sort', async () => {
    const first = await plan();
    expect(first).toMatch(/Merge Append/);
    expect(first).toMatch(/Index Scan using calendar_events_list_idx/);
    expect(first).toMatch(/Index Scan using calendar_events_long_idx/);
    expect(first).toMatch(/Index Scan using calendar_events_very_long_idx/);
    expect(first).not.toMatch(/Seq Scan|->\s+Sort/);
    // The main scans are bounded below (a day, 31 days before the window), not from the calendar's start.
    expect(first.match(/Index Cond: \(\(calendar_id = \S+\) AND \(start_time >= /g)).toHaveLength(2);
  });

  it('stays so for a later page (keyset condition in the index)', async () => {
    const { rows } = await listWindow(orm.em.fork(), { calendarId: CAL, timeMin: new Date('2032-06-07T00:00:00Z'), timeMax: new Date('2032-06-14T00:00:00Z'), limit: 250 });
    const last = rows.at(-1);
    if (!last) throw new Error('expected a page');
    const next = await plan({ startTime: last.startTime, id: last.id });
    expect(next).toMatch(/Merge Append/);
    expect(next).not.toMatch(/Seq Scan|->\s+Sort/);
  });

  it('returns what the plain overlap query returns, in order', async () => {
    const window = { calendarId: CAL, timeMin: new Date('2032-06-07T00:00:00Z'), timeMax: new Date('2032-06-14T00:00:00Z') };
    const seen: string[] = [];
    let after: { startTime: Date; id: string } | undefined;
    for (;;) {
      const { rows, hasMore } = await listWindow(orm.em.fork(), { ...window, limit: 100, after });
      seen.push(...rows.map((r) => r.id));
      const last = rows.at(-1);
      if (!hasMore || !last) break;
      after = { startTime: last.startTime, id: last.id };
    }
    const expected = await orm.em.fork().execute<Array<{ id: string }>>(
      `select id from calendar_events where calendar_id = ? and status <> 'cancelled' and start_time < ? and end_time > ? order by start_time, id`,
      [CAL, window.timeMax, window.timeMin],
    );
    expect(seen).toEqual(expected.map((r) => r.id));
    expect(seen.length).toBeGreaterThan(300);
  });
});
