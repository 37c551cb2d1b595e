import { z } from 'zod';
import { entriesOf, type WriteKeys, type WriteSpec } from './field.ts';
import { recurrenceInput } from './recurrence.ts';
import { EVENT_FIELDS, type EventFields, type EventRecord } from './shape.ts';

/**
 * What callers may send to create or change an event, derived from the shape's writable fields:
 * on create a field is required or optional as the shape says, on update every field is
 * optional and a nullable one may be null (cleared). The API validates with these schemas; their
 * types are the services' input types.
 */

type Writable = WriteKeys<EventFields>;
type InputOf<K extends Writable> = NonNullable<EventFields[K]['write']>['input'];
type CreateShape = { [K in Writable]: NonNullable<EventFields[K]['write']>['required'] extends true ? InputOf<K> : z.ZodOptional<InputOf<K>> };
type UpdateShape = { [K in Writable]: z.ZodOptional<null extends EventRecord[K] ? z.ZodNullable<InputOf<K>> : InputOf<K>> };

const WRITABLE = entriesOf(EVENT_FIELDS).flatMap(({ name, field }) => (field.write ? [{ name, write: field.write as WriteSpec, nullable: field.column.nullable }] : []));

const createShape = Object.fromEntries(WRITABLE.map(({ name, write }) => [name, write.required ? write.input : write.input.optional()])) as CreateShape;
const updateShape = Object.fromEntries(WRITABLE.map(({ name, write, nullable }) => [name, (nullable ? write.input.nullable() : write.input).optional()])) as UpdateShape;

const eventId = z.uuid('must be an event id returned by this API');

/**
 * Which occurrences of a recurring meeting an edit or cancel is for: this one (also what a
 * one-off meeting has), this and the following ones (the series is split there, as Google
 * Calendar does), or all of them.
 */
export const EDIT_SCOPES = ['instance', 'following', 'series'] as const;
export type EditScope = (typeof EDIT_SCOPES)[number];
const scope = z.enum(EDIT_SCOPES).default('instance');

export const createEventInput = z
  .strictObject({
    ...createShape,
    /** A recurring meeting: its RFC 5545 rule (RRULE, EXDATE, RDATE lines); startTime is the first occurrence. */
    recurrence: recurrenceInput.optional(),
    createMeetLink: z.boolean().default(true),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .refine((v) => v.endTime.getTime() > v.startTime.getTime(), { path: ['endTime'], message: 'must be after startTime' })
  // Google expands a rule in the series' zone (09:00 stays 09:00 across daylight saving), and requires it.
  .refine((v) => !v.recurrence || v.timeZone !== undefined, { path: ['timeZone'], message: 'is required for a recurring meeting (e.g. Europe/Berlin): its rule repeats local times' });

export const updateEventInput = z
  .strictObject({
    id: eventId,
    ...updateShape,
    expectedEtag: z.string().min(1).max(256).optional(),
    scope,
    /** A new rule for the series (scope `series` or `following` only). */
    recurrence: recurrenceInput.optional(),
  })
  .refine((v) => !v.startTime || !v.endTime || v.endTime.getTime() > v.startTime.getTime(), {
    path: ['endTime'],
    message: 'must be after startTime',
  })
  .refine((v) => !v.recurrence || v.scope !== 'instance', { path: ['recurrence'], message: "changes the series' rule: send it with scope series or following" });

export const eventIdInput = z.strictObject({ id: eventId });

export const cancelEventInput = z.strictObject({ id: eventId, scope });

export type CreateEventInput = z.output<typeof createEventInput>;
export type UpdateEventInput = z.output<typeof updateEventInput>;
export type CancelEventInput = z.output<typeof cancelEventInput>;
/** The fields a caller sets on an event (what goes to Google). */
export type EventWrite = Omit<UpdateEventInput, 'id' | 'expectedEtag' | 'scope' | 'recurrence'>;
