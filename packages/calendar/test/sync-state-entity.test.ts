import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from '@calsync/db/testing/hooks';
import { entities } from '../src/entities.ts';
import { CalendarSyncState } from '../src/sync/sync-state-entity.ts';
import { connectCalendars } from './support.ts';

const orm = useTestOrm({ entities });
beforeAll(() => connectCalendars(orm, 'primary@example.com', 'a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'));

describe('calendar_sync_states', () => {
  it('stores one row per calendar with defaults and a numeric message number', async () => {
    const em = orm.em.fork();
    const state = em.create(CalendarSyncState, { calendarId: 'primary@example.com' });
    await em.flush();
    expect(state.active).toBe(false);

    state.lastMessageNumber = 9_007_199_254; // bigint column, JS number
    state.channelId = 'chan-1';
    await em.flush();

    const loaded = await orm.em.fork().findOneOrFail(CalendarSyncState, { calendarId: 'primary@example.com' });
    expect(loaded.lastMessageNumber).toBe(9_007_199_254);
    expect(typeof loaded.lastMessageNumber).toBe('number');
    expect(loaded.updatedAt.getTime()).toBeGreaterThanOrEqual(loaded.createdAt.getTime());

    const dup = orm.em.fork();
    dup.create(CalendarSyncState, { calendarId: 'primary@example.com' });
    await expect(dup.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });

  it('allows many calendars without a channel but no shared channel id', async () => {
    const em = orm.em.fork();
    em.create(CalendarSyncState, { calendarId: 'a@example.com' });
    em.create(CalendarSyncState, { calendarId: 'b@example.com' });
    await em.flush();

    const clash = orm.em.fork();
    clash.create(CalendarSyncState, { calendarId: 'c@example.com', channelId: 'chan-shared' });
    clash.create(CalendarSyncState, { calendarId: 'd@example.com', channelId: 'chan-shared' });
    await expect(clash.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });
});
