import { channelToken } from '@calsync/calendar';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { useSystem } from './support/system.ts';

// A receiver busy with a thousand calendars' storms takes each calendar's notifications in one by
// one, long after the changes they announce: the first sync already brought them all. Those late
// notifications must not cost a list call each. Here the test delivers Google's notifications
// itself (the emulator holds its own), late and one at a time, with the server's default pacing.
const WEBHOOK_SECRET = 'webhook-secret-for-late-notification-tests-0123456789';
// The check after expected notifications waits for a pause this long: longer than the test, so
// no gap can turn into a pause, and a new change that waited for it would never show.
const sys = useSystem({ env: { WEBHOOK_SECRET, SYNC_EXPECTED_QUIET_MS: '60000' } });

const meeting = (i: number) => ({
  summary: `Bulk-imported ${i}`,
  start: { dateTime: `2031-07-08T${String(8 + i).padStart(2, '0')}:00:00Z` },
  end: { dateTime: `2031-07-08T${String(8 + i).padStart(2, '0')}:30:00Z` },
});

it('notifications of changes a sync already brought cost no list call each; one beyond them is a new change, synced at once', async () => {
  const { control } = sys.emulator;
  const channel = await sys.client.calendar.watch.mutate();
  await sys.settle();
  control.configureNotifications({ paused: true }, sys.calendarId);
  let messageNumber = 100;
  const notify = async () => {
    const res = await fetch(`${sys.app.url}/webhooks/google-drive`, {
      method: 'POST',
      headers: {
        'X-Goog-Channel-ID': channel.channelId,
        'X-Goog-Channel-Token': channelToken(WEBHOOK_SECRET, channel.channelId),
        'X-Goog-Resource-ID': channel.resourceId,
        'X-Goog-Resource-State': 'exists',
        'X-Goog-Message-Number': String(++messageNumber),
      },
    });
    expect(res.status).toBe(200);
  };
  const lists = () => control.stats()['events.list'] ?? 0;
  const shows = async (id: string) => {
    while (!(await sys.localEvents()).some((e) => e.id === id)) await sleep(5);
  };

  // A bulk import of 10 meetings; their notifications come one by one, 600 ms apart (longer than
  // the burst pause and SYNC_MIN_INTERVAL_MS: each would be a lone change and sync at once).
  const imported = Array.from({ length: 10 }, (_, i) => control.createEvent(sys.calendarId, meeting(i)));
  control.resetStats();
  await notify();
  await shows(imported[9]?.id ?? '');
  expect(lists()).toBe(1);
  for (let i = 1; i < 10; i++) {
    await sleep(600);
    await notify();
  }
  await sleep(600);
  // The nine late ones announced changes already here: no list call (their check waits for a pause).
  expect(lists()).toBe(1);

  // One notification beyond them announces a new change: synced at once (waiting for the
  // check's pause would outlast the test).
  const added = control.createEvent(sys.calendarId, meeting(11));
  await notify();
  await shows(added.id);
  await sys.expectInSyncWithGoogle();
  // That sync was the check too.
  expect(lists()).toBe(2);
});
