import { describe, expect, it } from 'vitest';
import { recurrenceContinued, recurrenceInput, recurrenceLineProblem, recurrenceUntil } from '../src/event/recurrence.ts';

describe('a recurrence line as Google would take it', () => {
  it.each([
    'RRULE:FREQ=WEEKLY;BYDAY=MO',
    'RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=10',
    'RRULE:FREQ=MONTHLY;BYDAY=-1FR',
    'RRULE:FREQ=MONTHLY;BYMONTHDAY=-1,15',
    'RRULE:FREQ=DAILY;UNTIL=20271231T235959Z',
    'RRULE:FREQ=YEARLY;UNTIL=20301231',
    'rrule:freq=weekly;byday=mo',
    'EXDATE;TZID=Europe/Berlin:20270308T090000',
    'EXDATE:20270308T080000Z,20270315T080000Z',
    'EXDATE;VALUE=DATE:20270308',
    'RDATE;VALUE=DATE:20270309',
  ])('takes %s', (line) => {
    expect(recurrenceLineProblem(line)).toBeUndefined();
  });

  it.each([
    ['RRULE:BYDAY=MO', /FREQ is missing/],
    ['RRULE:FREQ=FORTNIGHTLY', /FREQ must be one of/],
    ['RRULE:FREQ=WEEKLY;BYDAY=XX', /BYDAY/],
    ['RRULE:FREQ=WEEKLY;COUNT=0', /COUNT must be a whole number/],
    ['RRULE:FREQ=WEEKLY;COUNT=3;UNTIL=20271231', /COUNT and UNTIL/],
    ['RRULE:FREQ=WEEKLY;UNTIL=2027-12-31', /UNTIL must be/],
    ['RRULE:FREQ=WEEKLY;FREQ=DAILY', /given twice/],
    ['RRULE:FREQ=WEEKLY;COLOR=RED', /COLOR is not a rule part/],
    ['RRULE:FREQ=MONTHLY;BYMONTHDAY=32', /BYMONTHDAY must list numbers/],
    ['RRULE:FREQ=DAILY;BYHOUR=-1', /BYHOUR must list numbers/],
    ['RRULE;X=1:FREQ=DAILY', /takes no parameters/],
    ['DTSTART:20270301T080000Z', /taken from the meeting's start/],
    ['EXDATE;TZID=Mars/Olympus:20270308T090000', /not an IANA time zone/],
    ['EXDATE:2027-03-08', /is not a date-time/],
    ['EXDATE;VALUE=DATE:20270308T090000', /is not a date/],
    ['VEVENT:FREQ=DAILY', /not a recurrence line/],
    ['every monday', /must be an RFC 5545 line/],
  ])('refuses %s and says why', (line, why) => {
    expect(recurrenceLineProblem(line)).toMatch(why);
  });

  it('a rule needs an RRULE or RDATE line, and each wrong line is named by its index', () => {
    const onlyExdate = recurrenceInput.safeParse(['EXDATE:20270308T080000Z']);
    expect(onlyExdate.success).toBe(false);
    expect(onlyExdate.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/needs an RRULE/)]);

    const twoBad = recurrenceInput.safeParse(['RRULE:FREQ=WEEKLY', 'EXDATE:nope', 'RRULE:FREQ=NEVER']);
    expect(twoBad.error?.issues.map((i) => i.path)).toEqual([[1], [2]]);

    expect(recurrenceInput.parse(['  RRULE:FREQ=DAILY  '])).toEqual(['RRULE:FREQ=DAILY']);
  });
});

describe('"this and following": the old series cut, the new one continued', () => {
  it('ends every RRULE just before the cut occurrence, replacing COUNT or UNTIL, and keeps other lines', () => {
    const cut = new Date('2027-03-29T07:00:00Z');
    expect(recurrenceUntil(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12', 'EXDATE:20270308T080000Z'], cut, false)).toEqual([
      'RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270329T065959Z',
      'EXDATE:20270308T080000Z',
    ]);
    expect(recurrenceUntil(['RRULE:FREQ=DAILY;UNTIL=20281231T000000Z;INTERVAL=2'], cut, false)).toEqual(['RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20270329T065959Z']);
  });

  it('ends an all-day series on the day before', () => {
    expect(recurrenceUntil(['RRULE:FREQ=WEEKLY'], new Date('2027-03-29T00:00:00Z'), true)).toEqual(['RRULE:FREQ=WEEKLY;UNTIL=20270328']);
  });

  it("a COUNT rule's new series has the occurrences left; others are unchanged", () => {
    expect(recurrenceContinued(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12'], 4)).toEqual(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8']);
    expect(recurrenceContinued(['RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO'], 5)).toEqual(['RRULE:FREQ=WEEKLY;COUNT=1;BYDAY=MO']);
    expect(recurrenceContinued(['RRULE:FREQ=DAILY', 'EXDATE:20270308T080000Z'], 4)).toEqual(['RRULE:FREQ=DAILY', 'EXDATE:20270308T080000Z']);
  });
});
