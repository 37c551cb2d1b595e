import { describe, expect, it } from 'vitest';
import { failure } from './support/failure.ts';
import { at, useSystem } from './support/system.ts';

// A plain service account (no domain-wide delegation): Google refuses Meet links and attendees.
// The caller must learn what to configure, and nothing may be stored.
const sys = useSystem({ delegation: false });

const meeting = { summary: 'Pipeline review', startTime: at('2031-05-05T09:00:00Z'), endTime: at('2031-05-05T09:30:00Z') };

describe('a service account without domain-wide delegation', () => {
  it('gets FORBIDDEN with setup instructions for a Meet link, and nothing is stored', async () => {
    const err = await failure(sys.client.calendar.createEvent.mutate(meeting));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toMatch(/domain-wide delegation/);
    expect(err.message).toMatch(/GOOGLE_IMPERSONATE_USER/);
    expect(await sys.rowCount()).toBe(0);
    expect(sys.emulator.control.listEvents(sys.calendarId)).toHaveLength(0);
  });

  it('gets FORBIDDEN with setup instructions for attendees, and nothing is stored', async () => {
    const err = await failure(sys.client.calendar.createEvent.mutate({ ...meeting, createMeetLink: false, attendees: ['buyer@acme.example'] }));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toMatch(/invite attendees/);
    expect(await sys.rowCount()).toBe(0);
  });

  it('can still create a plain event', async () => {
    const created = await sys.client.calendar.createEvent.mutate({ ...meeting, createMeetLink: false });
    expect(created.meetLink).toBeNull();
    expect(created.organizerEmail).toBe(sys.calendarId);
    expect(await sys.rowCount()).toBe(1);
  });
});
