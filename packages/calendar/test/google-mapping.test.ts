import { describe, expect, it } from 'vitest';
import { fromGoogleEvent, isCancelledStub } from '../src/event/google.ts';
import { storableText } from '../src/event/google-values.ts';

describe('fromGoogleEvent', () => {
  it('maps a timed event with Meet and attendees to our fields', () => {
    const e = fromGoogleEvent({
      id: 'abc12345',
      status: 'confirmed',
      summary: 'Call',
      start: { dateTime: '2031-01-01T10:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2031-01-01T11:00:00+01:00', timeZone: 'Europe/Berlin' },
      conferenceData: { entryPoints: [{ entryPointType: 'video', uri: 'https://meet.google.com/abc-defg-hij' }] },
      attendees: [{ email: 'a@x.test', responseStatus: 'accepted' }, { email: 'b@x.test', responseStatus: 'weird' }],
      etag: '"1"',
      updated: '2030-12-01T00:00:00.000Z',
    });
    if (isCancelledStub(e)) throw new Error('expected a full event');
    expect(e.startTime.toISOString()).toBe('2031-01-01T09:00:00.000Z');
    expect(e.timeZone).toBe('Europe/Berlin');
    expect(e.meetLink).toBe('https://meet.google.com/abc-defg-hij');
    expect(e.attendees.map((a) => a.responseStatus)).toEqual(['accepted', 'needsAction']);
  });

  it('maps all-day events to UTC midnights with the end exclusive', () => {
    const e = fromGoogleEvent({ id: 'allday001', start: { date: '2031-02-03' }, end: { date: '2031-02-04' } });
    if (isCancelledStub(e)) throw new Error('expected a full event');
    expect([e.allDay, e.startTime.toISOString(), e.endTime.toISOString()]).toEqual([true, '2031-02-03T00:00:00.000Z', '2031-02-04T00:00:00.000Z']);
  });

  it('recognises the minimal stubs incremental sync sends for deletions', () => {
    expect(isCancelledStub(fromGoogleEvent({ id: 'gone00001', status: 'cancelled', etag: '"9"' }))).toBe(true);
  });

  it('makes text from Google storable (NUL, unpaired surrogates) instead of failing every later sync', () => {
    expect(storableText('a\u0000b')).toBe('ab');
    expect(storableText('x\udfffy')).toBe('x\ufffdy');
    expect(storableText('Café ☕ 👍')).toBe('Café ☕ 👍');
    const e = fromGoogleEvent({ id: 'odd000001', summary: 'a\u0000b', description: '\ud800', start: { date: '2031-02-03' }, end: { date: '2031-02-04' } });
    if (isCancelledStub(e)) throw new Error('expected a full event');
    expect([e.summary, e.description]).toEqual(['ab', '\ufffd']);
  });
});
