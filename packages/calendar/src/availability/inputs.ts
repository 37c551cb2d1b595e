import { z } from 'zod';
import { timeInput, timeZoneInput } from '../event/validation.ts';

/** The colleagues asked about: their Google account addresses (their connected calendars). */
const users = (max: number) =>
  z
    .array(z.email('must be an email address').max(320))
    .min(1)
    .max(max)
    .transform((list) => [...new Set(list.map((u) => u.toLowerCase()))]);

const DAY_MS = 86_400_000;
export const MAX_FREE_BUSY_DAYS = 92;
export const MAX_SLOT_SEARCH_DAYS = 62;

/** The window is forward and at most `days` long. */
function checkWindow(days: number) {
  return (v: { timeMin: Date; timeMax: Date }, ctx: z.RefinementCtx): void => {
    const span = v.timeMax.getTime() - v.timeMin.getTime();
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['timeMax'], message: 'must be after timeMin' });
    else if (span > days * DAY_MS) ctx.addIssue({ code: 'custom', path: ['timeMax'], message: `the window may span at most ${days} days` });
  };
}

export const freeBusyInput = z
  .strictObject({
    timeMin: timeInput,
    timeMax: timeInput,
    /** Default: the caller. */
    users: users(50).optional(),
    /** Where all-day events' days begin and end (default UTC). */
    timeZone: timeZoneInput.default('UTC'),
  })
  .superRefine(checkWindow(MAX_FREE_BUSY_DAYS));

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a local time HH:MM (00:00 to 24:00)');
const minuteOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export const workingHoursInput = z
  .strictObject({
    start: clock,
    end: clock,
    /** ISO weekdays, 1 Monday ... 7 Sunday (default Monday to Friday). */
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7).default([1, 2, 3, 4, 5]),
  })
  .refine((v) => minuteOf(v.end) > minuteOf(v.start), { path: ['end'], message: 'must be after start' })
  .transform((v) => ({ startMinute: minuteOf(v.start), endMinute: minuteOf(v.end), days: [...new Set(v.days)] }));

export const findSlotsInput = z
  .strictObject({
    /** Minutes. */
    duration: z.number().int().min(5).max(8 * 60),
    timeMin: timeInput,
    timeMax: timeInput,
    /** Everyone who must be free (default: the caller). */
    users: users(20).optional(),
    /** Default 09:00 to 17:00, Monday to Friday, in `timeZone`. */
    workingHours: workingHoursInput.optional(),
    timeZone: timeZoneInput,
    /** Minutes kept free before and after everyone's meetings. */
    buffer: z.number().int().min(0).max(240).default(0),
    /** Slots start on multiples of this many minutes. */
    step: z.union([z.literal(5), z.literal(10), z.literal(15), z.literal(20), z.literal(30), z.literal(60)]).default(15),
    limit: z.number().int().min(1).max(100).default(10),
  })
  .superRefine(checkWindow(MAX_SLOT_SEARCH_DAYS));

export const DEFAULT_WORKING_HOURS = { startMinute: 9 * 60, endMinute: 17 * 60, days: [1, 2, 3, 4, 5] };

export type FreeBusyInput = z.output<typeof freeBusyInput>;
export type FindSlotsInput = z.output<typeof findSlotsInput>;
