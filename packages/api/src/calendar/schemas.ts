import { createEventInput, eventIdInput, timeInput, updateEventInput } from '@calsync/calendar';
import { z } from 'zod';

/** The procedures' inputs. The event's own inputs (create, update) come from the event shape. */
export { createEventInput, eventIdInput, updateEventInput };

export const MAX_PAGE_SIZE = 2500;
export const DEFAULT_PAGE_SIZE = 250;
/** listEvents windows longer than this are refused: a calendar view never needs more. */
export const MAX_WINDOW_MS = 366 * 24 * 60 * 60 * 1000;

export const listEventsInput = z
  .strictObject({
    timeMin: timeInput,
    timeMax: timeInput,
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: z.string().max(512).nullish(),
  })
  .refine((v) => v.timeMax.getTime() > v.timeMin.getTime(), { path: ['timeMax'], message: 'must be after timeMin' })
  .refine((v) => v.timeMax.getTime() - v.timeMin.getTime() <= MAX_WINDOW_MS, {
    path: ['timeMax'],
    message: 'the window may span at most 366 days',
  });

export const watchInput = z.strictObject({}).optional();

export const syncInput = z.strictObject({ full: z.boolean().default(false) }).optional();
