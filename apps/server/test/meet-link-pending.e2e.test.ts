import { expect, it } from 'vitest';
import { at, useSystem } from './support/system.ts';

// Google may first answer a Meet request with status "pending" and add the link a moment later.
const sys = useSystem({ meetPendingMs: 400 });

it('returns the Meet link even when Google creates it a moment after the event', async () => {
  const created = await sys.client.calendar.createEvent.mutate({
    summary: 'Demo',
    startTime: at('2031-06-01T10:00:00Z'),
    endTime: at('2031-06-01T11:00:00Z'),
  });
  expect(created.meetLink).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
  // The first answer was pending, so the service had to read the event again.
  expect(sys.emulator.control.stats()['events.get']).toBeGreaterThanOrEqual(1);
  const row = await sys.sql.query('select meet_link from calendar_events where id = $1', [created.id]);
  expect(row.rows[0]?.meet_link).toBe(created.meetLink);
});
