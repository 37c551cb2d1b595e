import type { CalendarChangeMessage } from '@calsync/client';
import { describe, expect, it } from 'vitest';
import { at, eventually, useSystem, type System } from './support/system.ts';

const sys = useSystem();

/** Subscribes to calendar.onChange with the given client and records what arrives. */
function listen(client: System['client']) {
  const messages: CalendarChangeMessage[] = [];
  const errors: unknown[] = [];
  let started = false;
  const sub = client.calendar.onChange.subscribe(undefined, {
    onStarted: () => (started = true),
    onData: (m) => messages.push(m),
    onError: (err) => errors.push(err),
  });
  return {
    messages,
    errors,
    started: () => eventually(() => expect(started).toBe(true)),
    stop: () => sub.unsubscribe(),
  };
}

describe('live updates (calendar.onChange over SSE)', () => {
  it('tells an open page within a second when an event is changed in Google, and when our API writes', async () => {
    const live = listen(sys.client);
    try {
      await live.started();
      const created = await sys.client.calendar.createEvent.mutate({
        summary: 'Demo',
        startTime: at('2031-03-11T10:00:00Z'),
        endTime: at('2031-03-11T10:30:00Z'),
        createMeetLink: false,
      });
      await eventually(() => expect(live.messages.map((m) => m.source)).toContain('write'), 1000);

      await sys.client.calendar.watch.mutate();
      live.messages.length = 0;
      sys.emulator.control.editEvent(sys.calendarId, created.googleEventId, { summary: 'Moved by a person in Google' });
      await eventually(() => expect(live.messages).toContainEqual(expect.objectContaining({ source: 'sync', changed: 1, deleted: 0 })), 1000);
      expect(live.messages[0]?.at).toBeInstanceOf(Date);
      expect(live.errors).toEqual([]);
    } finally {
      live.stop();
      await sys.reset();
    }
  });

  it('is authenticated like every procedure: no token, no stream', async () => {
    const live = listen(sys.clientWith(() => null));
    try {
      await eventually(() => expect(live.errors).toHaveLength(1));
      expect(live.errors[0]).toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    } finally {
      live.stop();
    }
  });
});
