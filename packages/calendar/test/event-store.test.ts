import { useTestOrm } from '@calsync/db/testing/hooks';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entities } from '../src/entities.ts';
import { fromGoogleEvent, isCancelledStub } from '../src/event/google.ts';
import type { GoogleEventFields } from '../src/event/shape.ts';
import { cancelEventsAbsentFrom, cancelGoogleEvents, upsertGoogleEvents, upsertGoogleEventsCounted } from '../src/event/store.ts';
import { connectCalendars } from './support.ts';

// The guarded upsert is what keeps late or duplicated Google data from rolling rows back.
const orm = useTestOrm({ entities });
beforeAll(() => connectCalendars(orm, 'rep@acme.test', 'other@acme.test'));
beforeEach(async () => {
  await orm.em.fork().execute('delete from calendar_events');
});

const CAL = 'rep@acme.test';
/** Version n of an event as Google sends it, mapped as sync maps it (every field of the shape set). */
function version(n: number, over: Partial<GoogleEventFields> = {}): GoogleEventFields {
  const fields = fromGoogleEvent({
    id: 'evt00001',
    status: 'confirmed',
    summary: `v${n}`,
    start: { dateTime: '2031-01-01T10:00:00Z' },
    end: { dateTime: '2031-01-01T11:00:00Z' },
    organizer: { email: CAL },
    etag: `"${n}"`,
    updated: new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString(),
  });
  if (isCancelledStub(fields)) throw new Error('expected a full event');
  return { ...fields, ...over };
}

async function rows() {
  return orm.em.fork().execute<Array<{ summary: string; etag: string; status: string }>>('select summary, etag, status from calendar_events order by google_event_id');
}

describe('upsertGoogleEvents', () => {
  it('inserts, then updates on (calendar, google id) without duplicating', async () => {
    expect(await upsertGoogleEvents(orm.em.fork(), CAL, [version(1)])).toEqual(['evt00001']);
    expect(await upsertGoogleEvents(orm.em.fork(), CAL, [version(2)])).toEqual(['evt00001']);
    expect(await rows()).toEqual([{ summary: 'v2', etag: '"2"', status: 'confirmed' }]);
  });

  it('never lets older data overwrite a newer row', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(3)]);
    expect(await upsertGoogleEvents(orm.em.fork(), CAL, [version(2)])).toEqual([]);
    expect((await rows())[0]?.summary).toBe('v3');
  });

  it('does not rewrite an unchanged event (same etag), e.g. the echo of our own write', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(1)]);
    const before = await orm.em.fork().execute<Array<{ updated_at: Date }>>('select updated_at from calendar_events');
    expect(await upsertGoogleEvents(orm.em.fork(), CAL, [version(1)])).toEqual([]);
    const after = await orm.em.fork().execute<Array<{ updated_at: Date }>>('select updated_at from calendar_events');
    expect(after).toEqual(before);
  });

  it('keeps the newest copy when one batch holds an event twice', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(5), version(4)]);
    expect((await rows())[0]?.summary).toBe('v5');
  });

  it('gives a row stored before recurring meetings (an occurrence as a one-off, same etag) its series', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(1)]);
    const occurrence = version(1, { recurringEventId: 'series001', originalStartTime: new Date('2031-01-01T09:00:00Z') });
    expect(await upsertGoogleEvents(orm.em.fork(), CAL, [occurrence])).toEqual(['evt00001']);
    const stored = await orm.em.fork().execute(`select recurring_event_id, to_char(original_start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI') as original_start_time from calendar_events`);
    expect(stored).toEqual([{ recurring_event_id: 'series001', original_start_time: '2031-01-01T09:00' }]);
    // Then it is an unchanged event again: no write.
    expect(await upsertGoogleEvents(orm.em.fork(), CAL, [occurrence])).toEqual([]);
  });

  it('keeps calendars apart', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(1)]);
    await upsertGoogleEvents(orm.em.fork(), 'other@acme.test', [version(1, { summary: 'theirs' })]);
    expect((await rows()).map((r) => r.summary).sort()).toEqual(['theirs', 'v1']);
  });
});

describe('upsertGoogleEventsCounted (sync pages)', () => {
  it('counts the rows it inserted or changed by their new status, and skips the rest as the guarded upsert does', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(3), version(1, { googleEventId: 'same00001' })]);
    const counts = await upsertGoogleEventsCounted(orm.em.fork(), CAL, [
      version(2), // older than the row: skipped
      version(1, { googleEventId: 'same00001' }), // same etag: skipped
      version(1, { googleEventId: 'new000001' }),
      version(4, { googleEventId: 'gone00001', status: 'cancelled' }),
    ]);
    expect(counts).toEqual({ live: 1, cancelled: 1 });
    expect(await upsertGoogleEventsCounted(orm.em.fork(), CAL, [])).toEqual({ live: 0, cancelled: 0 });
    expect((await rows()).map((r) => [r.summary, r.status])).toEqual([
      ['v3', 'confirmed'],
      ['v4', 'cancelled'],
      ['v1', 'confirmed'],
      ['v1', 'confirmed'],
    ]);
  });
});

describe('cancellations', () => {
  it('marks deleted events cancelled and ignores ids we never had', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(1)]);
    const changed = await cancelGoogleEvents(orm.em.fork(), CAL, [
      { googleEventId: 'evt00001', status: 'cancelled', etag: '"9"' },
      { googleEventId: 'neverseen1', status: 'cancelled', etag: null },
    ]);
    expect(changed).toEqual(['evt00001']);
    expect(await rows()).toEqual([{ summary: 'v1', etag: '"9"', status: 'cancelled' }]);
  });

  it('after a full listing, cancels only live rows older than the listing that Google lacks', async () => {
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(1), version(1, { googleEventId: 'ghost00001' })]);
    const listingStartedAt = new Date(Date.now() + 1000);
    await upsertGoogleEvents(orm.em.fork(), 'other@acme.test', [version(1, { googleEventId: 'ghost00002' })]);
    const ghosts = await cancelEventsAbsentFrom(orm.em.fork(), CAL, new Set(['evt00001']), listingStartedAt);
    expect(ghosts).toEqual(['ghost00001']);
    // A row written after the listing began (e.g. created through the API meanwhile) survives.
    await upsertGoogleEvents(orm.em.fork(), CAL, [version(1, { googleEventId: 'fresh00001' })]);
    expect(await cancelEventsAbsentFrom(orm.em.fork(), CAL, new Set(['evt00001']), new Date(Date.now() - 60_000))).toEqual([]);
  });
});
