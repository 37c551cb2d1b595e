import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findFreeSlots, mergeIntervals, workingIntervals, type Interval } from '../src/availability/slots.ts';
import { instantOf, localDateOf } from '../src/availability/zoned.ts';

const t = (iso: string) => Date.parse(iso);
const iso = (i: Interval) => [new Date(i.start).toISOString(), new Date(i.end).toISOString()];
const NINE_TO_FIVE = { startMinute: 9 * 60, endMinute: 17 * 60, days: [1, 2, 3, 4, 5] };

describe('local time in a zone', () => {
  it('puts 09:00 at the right instant on both sides of the switches', () => {
    expect(new Date(instantOf({ year: 2027, month: 3, day: 26 }, 540, 'Europe/Berlin')).toISOString()).toBe('2027-03-26T08:00:00.000Z');
    expect(new Date(instantOf({ year: 2027, month: 3, day: 29 }, 540, 'Europe/Berlin')).toISOString()).toBe('2027-03-29T07:00:00.000Z');
    expect(new Date(instantOf({ year: 2027, month: 11, day: 5 }, 540, 'America/New_York')).toISOString()).toBe('2027-11-05T13:00:00.000Z');
    expect(new Date(instantOf({ year: 2027, month: 11, day: 8 }, 540, 'America/New_York')).toISOString()).toBe('2027-11-08T14:00:00.000Z');
    expect(new Date(instantOf({ year: 2027, month: 1, day: 5 }, 540, 'Asia/Kolkata')).toISOString()).toBe('2027-01-05T03:30:00.000Z');
  });

  it('moves a skipped local time forward and takes the first of a repeated one', () => {
    // 02:30 does not exist in Berlin on 28 March 2027 (clocks jump 02:00 -> 03:00): 03:30 CEST.
    expect(new Date(instantOf({ year: 2027, month: 3, day: 28 }, 150, 'Europe/Berlin')).toISOString()).toBe('2027-03-28T01:30:00.000Z');
    // 02:30 happens twice on 31 October 2027: the first, still CEST.
    expect(new Date(instantOf({ year: 2027, month: 10, day: 31 }, 150, 'Europe/Berlin')).toISOString()).toBe('2027-10-31T00:30:00.000Z');
  });

  it('round-trips every local minute of a year that exists once (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: t('2027-01-01T00:00:00Z'), max: t('2028-01-01T00:00:00Z') }), fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'), (ms, zone) => {
        const instant = Math.floor(ms / 60_000) * 60_000;
        const date = localDateOf(instant, zone);
        const wall = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(instant));
        const minutes = Number(wall.slice(0, 2)) * 60 + Number(wall.slice(3, 5));
        const back = instantOf(date, minutes, zone);
        // The same instant, or (in the repeated hour after clocks go back) the first one showing that time.
        expect(back === instant || back === instant - 3_600_000).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('free slots', () => {
  it('merges overlapping and touching busy time', () => {
    expect(mergeIntervals([{ start: 5, end: 7 }, { start: 1, end: 3 }, { start: 3, end: 4 }, { start: 6, end: 9 }])).toEqual([{ start: 1, end: 4 }, { start: 5, end: 9 }]);
  });

  it('has working hours on working days only, clipped to the window', () => {
    const days = workingIntervals({ timeMin: t('2027-03-26T10:00:00Z'), timeMax: t('2027-03-30T00:00:00Z'), workingHours: NINE_TO_FIVE, timeZone: 'Europe/Berlin' }).map(iso);
    expect(days).toEqual([
      ['2027-03-26T10:00:00.000Z', '2027-03-26T16:00:00.000Z'],
      ['2027-03-29T07:00:00.000Z', '2027-03-29T15:00:00.000Z'],
    ]);
  });

  it('finds the earliest slots around busy time with a buffer, on step boundaries', () => {
    const slots = findFreeSlots({
      busy: [{ start: t('2027-03-26T08:10:00Z'), end: t('2027-03-26T08:50:00Z') }],
      timeMin: t('2027-03-26T00:00:00Z'),
      timeMax: t('2027-03-27T00:00:00Z'),
      durationMs: 30 * 60_000,
      bufferMs: 10 * 60_000,
      stepMs: 15 * 60_000,
      workingHours: NINE_TO_FIVE,
      timeZone: 'Europe/Berlin',
      limit: 2,
    }).map(iso);
    // 09:00 Berlin is 08:00Z: busy 08:00-09:00Z with the buffer, then on quarter hours.
    expect(slots).toEqual([
      ['2027-03-26T09:00:00.000Z', '2027-03-26T09:30:00.000Z'],
      ['2027-03-26T09:30:00.000Z', '2027-03-26T10:00:00.000Z'],
    ]);
  });

  it('never offers a slot that overlaps busy time or leaves working hours (property)', () => {
    const interval = fc.tuple(fc.integer({ min: 0, max: 14 * 96 }), fc.integer({ min: 1, max: 16 })).map(([q, len]) => ({ start: t('2027-03-22T00:00:00Z') + q * 900_000, end: t('2027-03-22T00:00:00Z') + (q + len) * 900_000 }));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 4 }), fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata'), (busy, quarters, bufferQuarters, zone) => {
        const durationMs = quarters * 900_000;
        const bufferMs = bufferQuarters * 900_000;
        const q = { busy, timeMin: t('2027-03-22T00:00:00Z'), timeMax: t('2027-04-05T00:00:00Z'), durationMs, bufferMs, stepMs: 900_000, workingHours: NINE_TO_FIVE, timeZone: zone, limit: 1000 };
        const slots = findFreeSlots(q);
        const work = workingIntervals(q);
        for (const s of slots) {
          expect(s.end - s.start).toBe(durationMs);
          expect(s.start % 900_000).toBe(0);
          expect(work.some((w) => w.start <= s.start && s.end <= w.end)).toBe(true);
          expect(busy.some((b) => b.start - bufferMs < s.end && s.start < b.end + bufferMs)).toBe(false);
        }
        // Complete: every free quarter-hour start within working hours that fits is covered by some slot.
        for (const w of work) {
          for (let start = Math.ceil(w.start / 900_000) * 900_000; start + durationMs <= w.end; start += 900_000) {
            const free = !busy.some((b) => b.start - bufferMs < start + durationMs && start < b.end + bufferMs);
            if (free) expect(slots.some((s) => s.start < start + durationMs && start < s.end)).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
