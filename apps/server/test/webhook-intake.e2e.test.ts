import { channelToken } from '@calsync/calendar';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSystem } from './support/system.ts';

// What the webhook does with what it takes in, with notifications the test delivers itself (as
// Google would, with the channel's token). With the server's default pacing, except that the check
// after expected notifications waits for a pause of 60 s: longer than any test here, so no gap
// turns into a pause, and a new change that waited for it would never show.
const WEBHOOK_SECRET = 'webhook-secret-for-webhook-intake-tests-0123456789';
const sys = useSystem({ env: { WEBHOOK_SECRET, SYNC_EXPECTED_QUIET_MS: '60000' } });

const meeting = (i: number) => ({
  summary: `Bulk-imported ${i}`,
  start: { dateTime: `2031-07-08T${String(8 + i).padStart(2, '0')}:00:00Z` },
  end: { dateTime: `2031-07-08T${String(8 + i).padStart(2, '0')}:30:00Z` },
});

interface Channel {
  channelId: string;
  resourceId: string;
}

/** A notification of the channel, as Google sends it; returns the HTTP status. */
async function notify(channel: Channel, messageNumber: number): Promise<number> {
  const res = await fetch(`${sys.app.url}/webhooks/google-drive`, {
    method: 'POST',
    headers: {
      'X-Goog-Channel-ID': channel.channelId,
      'X-Goog-Channel-Token': channelToken(WEBHOOK_SECRET, channel.channelId),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-State': 'exists',
      'X-Goog-Message-Number': String(messageNumber),
    },
  });
  return res.status;
}

const lists = () => sys.emulator.control.stats()['events.list'] ?? 0;

async function syncState(): Promise<{ last_message_number: string | null; last_notification_at: Date | null }> {
  const r = await sys.sql.query('select last_message_number, last_notification_at from calendar_sync_states where calendar_id = $1', [sys.calendarId]);
  return r.rows[0];
}

beforeEach(async () => {
  await sys.reset();
});

describe('notifications that come late', () => {
  // A receiver busy with a thousand calendars' storms takes each calendar's notifications in one
  // by one, long after the changes they announce: the first sync already brought them all. Those
  // late notifications must not cost a list call each.
  it('notifications of changes a sync already brought cost no list call each; one beyond them is a new change, synced at once', async () => {
    const { control } = sys.emulator;
    const channel = await sys.client.calendar.watch.mutate();
    await sys.settle();
    control.configureNotifications({ paused: true }, sys.calendarId);
    let messageNumber = 100;
    const next = async () => expect(await notify(channel, ++messageNumber)).toBe(200);
    const shows = async (id: string) => {
      while (!(await sys.localEvents()).some((e) => e.id === id)) await sleep(5);
    };

    // A bulk import of 10 meetings; their notifications come one by one, 600 ms apart (longer than
    // the burst pause and SYNC_MIN_INTERVAL_MS: each would be a lone change and sync at once).
    const imported = Array.from({ length: 10 }, (_, i) => control.createEvent(sys.calendarId, meeting(i)));
    control.resetStats();
    await next();
    await shows(imported[9]?.id ?? '');
    expect(lists()).toBe(1);
    for (let i = 1; i < 10; i++) {
      await sleep(600);
      await next();
    }
    await sleep(600);
    // The nine late ones announced changes already here: no list call (their check waits for a pause).
    expect(lists()).toBe(1);

    // One notification beyond them announces a new change: synced at once (waiting for the
    // check's pause would outlast the test).
    const added = control.createEvent(sys.calendarId, meeting(11));
    await next();
    await shows(added.id);
    await sys.expectInSyncWithGoogle();
    // That sync was the check too.
    expect(lists()).toBe(2);
  });
});

describe('channels and message numbers kept in memory', () => {
  it('records the highest message number and when it came, in batches; a number seen already is a duplicate that syncs nothing', async () => {
    const channel = await sys.client.calendar.watch.mutate();
    await sys.settle();
    sys.emulator.control.resetStats();
    const before = Date.now();
    expect(await notify(channel, 7)).toBe(200);
    expect(await notify(channel, 9)).toBe(200);
    await sys.settle();
    const state = await syncState();
    expect(Number(state.last_message_number)).toBe(9);
    expect(state.last_notification_at?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    const listed = lists();
    expect(listed).toBeGreaterThanOrEqual(1);

    // Late or repeated numbers: answered 200 (delivered), no sync, the number never goes down.
    expect(await notify(channel, 8)).toBe(200);
    expect(await notify(channel, 9)).toBe(200);
    await sys.settle();
    expect(lists()).toBe(listed);
    expect(Number((await syncState()).last_message_number)).toBe(9);
  });

  it('a channel stopped or replaced here is refused at once, though it was just taken in', async () => {
    const first = await sys.client.calendar.watch.mutate();
    await sys.settle();
    expect(await notify(first, 5)).toBe(200);
    const second = await sys.client.calendar.watch.mutate();
    await sys.settle();
    // The replaced channel: refused, with no Google call; the new one is taken in.
    sys.emulator.control.resetStats();
    expect(await notify(first, 6)).toBe(403);
    await sys.settle();
    expect(sys.emulator.control.stats().total).toBe(0);
    expect(await notify(second, 1)).toBe(200);
    await sys.client.calendar.stopWatch.mutate();
    expect(await notify(second, 2)).toBe(403);
  });

  it('a channel with a wrong resource id is refused even once it is known', async () => {
    const channel = await sys.client.calendar.watch.mutate();
    await sys.settle();
    expect(await notify(channel, 3)).toBe(200);
    expect(await notify({ ...channel, resourceId: 'someone-elses-resource' }, 4)).toBe(403);
  });
});
