import { describe, expect, it } from 'vitest';
import { describeRecurrence, RECURRENCE_UNPHRASED } from '../src/recurrence.ts';

// The page passes the browser's language and zone; here both are fixed so the words are.
const opts = { locale: 'en-GB', timeZone: 'UTC' };
/** Tuesday 2 March 2027, 10:00 UTC: the occurrence a rule is read for. */
const tuesday = new Date('2027-03-02T10:00:00Z');
const words = (lines: string[], start?: Date) => describeRecurrence(lines, { ...opts, ...(start ? { start } : {}) });

describe('describeRecurrence', () => {
  it('says which weekdays a weekly meeting is on, every week or every few weeks', () => {
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=MO'])).toBe('Every week on Monday');
    expect(words(['RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH'])).toBe('Every 2 weeks on Tuesday and Thursday');
    // In the week's order, whatever order the rule lists them in.
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=FR,MO,WE'])).toBe('Every week on Monday, Wednesday and Friday');
    expect(words(['RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=SU'])).toBe('Every week on Sunday');
    // No BYDAY: the weekday of the meeting itself.
    expect(words(['RRULE:FREQ=WEEKLY'], tuesday)).toBe('Every week on Tuesday');
    expect(words(['RRULE:FREQ=WEEKLY'])).toBe('Every week');
  });

  it('says "every weekday" and "every day" for the rules that mean it', () => {
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'])).toBe('Every weekday');
    expect(words(['RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR'])).toBe('Every weekday');
    expect(words(['RRULE:FREQ=DAILY'])).toBe('Every day');
    expect(words(['RRULE:FREQ=DAILY;INTERVAL=3'])).toBe('Every 3 days');
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU'])).toBe('Every day');
    expect(words(['RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR'])).toBe('Every 2 weeks on Monday, Tuesday, Wednesday, Thursday and Friday');
  });

  it('says how it ends: a number of times, or the last day it can happen on', () => {
    expect(words(['RRULE:FREQ=DAILY;COUNT=10'])).toBe('Every day, 10 times');
    expect(words(['RRULE:FREQ=DAILY;COUNT=1'])).toBe('Every day, once');
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270331'])).toBe('Every weekday until 31 Mar 2027');
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270331T235959Z'], tuesday)).toBe('Every weekday until 31 Mar 2027');
  });

  it('ends on the day before when the UNTIL moment comes before the meeting’s time of day (a split series)', () => {
    // "This and following" from Tuesday 23 March ends the old series a second before it.
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270323T095959Z'], tuesday)).toBe('Every week on Tuesday until 22 Mar 2027');
    // Without the meeting's time there is nothing to compare with: the day of the moment.
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270323T095959Z'])).toBe('Every week on Tuesday until 23 Mar 2027');
    // The moment is read on the page's clock: 23:30 UTC on 31 December is 00:30 on 1 January in
    // Berlin, too early for a meeting at 09:00 there.
    const berlin = { locale: 'en-GB', timeZone: 'Europe/Berlin' };
    expect(describeRecurrence(['RRULE:FREQ=DAILY;UNTIL=20271231T233000Z'], berlin)).toBe('Every day until 1 Jan 2028');
    expect(describeRecurrence(['RRULE:FREQ=DAILY;UNTIL=20271231T233000Z'], { ...berlin, start: new Date('2027-03-02T08:00:00Z') })).toBe('Every day until 31 Dec 2027');
    expect(describeRecurrence(['RRULE:FREQ=DAILY;UNTIL=20270101T003000Z'], { locale: 'en-GB', timeZone: 'America/New_York' })).toBe('Every day until 31 Dec 2026');
  });

  it('phrases monthly and yearly basics', () => {
    expect(words(['RRULE:FREQ=MONTHLY;BYMONTHDAY=15'])).toBe('Every month on the 15th');
    expect(words(['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15'])).toBe('Every month on the 1st and the 15th');
    expect(words(['RRULE:FREQ=MONTHLY;BYMONTHDAY=-1'])).toBe('Every month on the last day');
    expect(words(['RRULE:FREQ=MONTHLY;BYDAY=2TU'])).toBe('Every month on the second Tuesday');
    expect(words(['RRULE:FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;COUNT=4'])).toBe('Every 3 months on the last Friday, 4 times');
    expect(words(['RRULE:FREQ=MONTHLY'], tuesday)).toBe('Every month on the 2nd');
    expect(words(['RRULE:FREQ=MONTHLY;BYMONTHDAY=11,12,13,21,22,23'])).toBe('Every month on the 11th, the 12th, the 13th, the 21st, the 22nd and the 23rd');
    expect(words(['RRULE:FREQ=YEARLY'], tuesday)).toBe('Every year on 2 March');
    expect(words(['RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29'])).toBe('Every year on 29 February');
    expect(words(['RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH'])).toBe('Every year on the fourth Thursday of November');
    expect(words(['RRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=6;BYMONTHDAY=1;UNTIL=20310601'])).toBe('Every 2 years on 1 June until 1 Jun 2031');
  });

  it('counts the dates added to or taken out of the rule', () => {
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=MO', 'EXDATE;TZID=Europe/Berlin:20270308T090000,20270315T090000'])).toBe('Every week on Monday, except on 2 dates');
    expect(words(['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RDATE;VALUE=DATE:20270309', 'EXDATE:20270308T080000Z'])).toBe('Every week on Monday, and on 1 date more, except on 1 date');
  });

  it('reads case and a leading plus as Google may write them', () => {
    expect(words(['rrule:freq=weekly;byday=mo'])).toBe('Every week on Monday');
    expect(words(['RRULE:FREQ=MONTHLY;BYDAY=+1MO'])).toBe('Every month on the first Monday');
    expect(words(['  RRULE:FREQ=DAILY;COUNT=5  '])).toBe('Every day, 5 times');
  });

  it('says "custom schedule", and never throws, for what it cannot phrase exactly', () => {
    const unphrased = [
      [],
      ['RRULE:FREQ=HOURLY'],
      ['RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1'],
      ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RRULE:FREQ=WEEKLY;BYDAY=FR'],
      ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'EXRULE:FREQ=MONTHLY'],
      ['RRULE:FREQ=MONTHLY;BYDAY=TU'],
      ['RRULE:FREQ=WEEKLY;BYDAY=1MO'],
      ['RRULE:FREQ=WEEKLY;BYMONTHDAY=3'],
      ['RRULE:FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=1'],
      ['RRULE:FREQ=YEARLY;BYDAY=1MO'],
      ['RDATE;VALUE=DATE:20270309'],
      ['RRULE:FREQ=DAILY;COUNT=3;UNTIL=20270331'],
      ['RRULE:FREQ=DAILY;INTERVAL=0'],
      ['RRULE:FREQ=DAILY;COUNT=ten'],
      ['RRULE:FREQ=DAILY;UNTIL=20270231'],
      ['RRULE:FREQ=DAILY;UNTIL=tomorrow'],
      ['RRULE:FREQ=WEEKLY;BYDAY=XX'],
      ['RRULE:FREQ=WEEKLY;BYDAY='],
      ['RRULE:FREQ=WEEKLY;BYDAY=MO;BYDAY=TU'],
      ['RRULE:BYDAY=MO'],
      ['RRULE:'],
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=32'],
      ['RRULE:FREQ=MONTHLY;BYDAY=7MO'],
      ['RRULE:FREQ=MONTHLY;BYDAY=2TU;BYMONTHDAY=1'],
      ['RRULE:FREQ=MONTHLY;BYMONTH=3'],
      ['DTSTART:20270301T090000Z', 'RRULE:FREQ=DAILY'],
      ['not a line'],
      [''],
    ];
    for (const lines of unphrased) expect({ lines, words: words(lines, tuesday) }).toEqual({ lines, words: RECURRENCE_UNPHRASED });
    // A monthly or yearly rule that takes its day from the meeting, without the meeting: still no crash.
    expect(words(['RRULE:FREQ=MONTHLY'])).toBe('Every month');
    expect(words(['RRULE:FREQ=YEARLY'])).toBe(RECURRENCE_UNPHRASED);
    expect(describeRecurrence(['RRULE:FREQ=WEEKLY'], { start: new Date(Number.NaN) })).toBe('Every week');
  });
});
