import { findSlotsInput as slotsInput, freeBusyInput as busyInput, CALENDAR_STATES, cancelEventInput as eventCancel, createEventInput as eventCreate, eventIdInput as eventId, linkIdInput, timeInput, updateEventInput as eventUpdate } from '@calsync/calendar';
import { z } from 'zod';
import { calendarIdInput } from '../trpc.ts';

/**
 * The procedures' inputs. The event's own inputs (create, update) come from the event shape; every
 * procedure on a calendar also takes `calendarId` (admins name any connected calendar with it;
 * anyone else only their own), which `calendarProcedure` reads.
 */
const calendar = { calendarId: calendarIdInput.optional() };

export const createEventInput = eventCreate.safeExtend(calendar);
export const updateEventInput = eventUpdate.safeExtend(calendar);
export const eventIdInput = eventId.safeExtend(calendar);
export const cancelEventInput = eventCancel.safeExtend(calendar);

export const MAX_PAGE_SIZE = 2500;
export const DEFAULT_PAGE_SIZE = 250;
/** listEvents windows longer than this are refused: a calendar view never needs more. */
export const MAX_WINDOW_MS = 366 * 24 * 60 * 60 * 1000;

export const listEventsInput = z
  .strictObject({
    ...calendar,
    timeMin: timeInput.optional(),
    timeMax: timeInput.optional(),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: z.string().max(512).nullish(),
    /** A deal's meetings, past and upcoming (a window is then optional); admins see every rep's. */
    dealId: linkIdInput.optional(),
    /** A contact's meetings, as for dealId. */
    contactId: linkIdInput.optional(),
  })
  .refine((v) => v.dealId === undefined || v.contactId === undefined, { path: ['contactId'], message: 'give dealId or contactId, not both' })
  .refine((v) => v.timeMin !== undefined || v.dealId !== undefined || v.contactId !== undefined, { path: ['timeMin'], message: 'is required (unless dealId or contactId is given)' })
  .refine((v) => v.timeMax !== undefined || v.dealId !== undefined || v.contactId !== undefined, { path: ['timeMax'], message: 'is required (unless dealId or contactId is given)' })
  .refine((v) => !v.timeMin || !v.timeMax || v.timeMax.getTime() > v.timeMin.getTime(), { path: ['timeMax'], message: 'must be after timeMin' })
  .refine((v) => !v.timeMin || !v.timeMax || v.timeMax.getTime() - v.timeMin.getTime() <= MAX_WINDOW_MS, {
    path: ['timeMax'],
    message: 'the window may span at most 366 days',
  });

/** Busy time of the caller (or the colleagues named) from our copy: zero Google calls. */
export const freeBusyInput = busyInput;

/** The first free slots shared by everyone named, within working hours in a zone. */
export const findSlotsInput = slotsInput;

export const watchInput = z.strictObject(calendar).optional();

export const syncInput = z.strictObject({ ...calendar, full: z.boolean().default(false) }).optional();

export const onChangeInput = z.strictObject(calendar).optional();

/** Connect a calendar: your own, or (admins) a user's of an allowed Workspace domain. */
export const connectInput = z.strictObject({ userEmail: z.email('must be an email address').max(320).optional() }).optional();

/** Disconnect a calendar: your own, or (admins) the one named. Its events are deleted unless `keepEvents`. */
export const disconnectInput = z.strictObject({ calendarId: calendarIdInput.optional(), keepEvents: z.boolean().default(false) }).optional();

/** Connected calendars, by calendar id (admins). */
export const listCalendarsInput = z
  .strictObject({
    state: z.enum(CALENDAR_STATES).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    cursor: calendarIdInput.nullish(),
  })
  .optional();
