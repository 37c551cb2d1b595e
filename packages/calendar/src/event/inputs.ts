import { z } from 'zod';
import { entriesOf, type WriteKeys, type WriteSpec } from './field.ts';
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

export const createEventInput = z
  .strictObject({
    ...createShape,
    createMeetLink: z.boolean().default(true),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .refine((v) => v.endTime.getTime() > v.startTime.getTime(), { path: ['endTime'], message: 'must be after startTime' });

export const updateEventInput = z
  .strictObject({
    id: eventId,
    ...updateShape,
    expectedEtag: z.string().min(1).max(256).optional(),
  })
  .refine((v) => !v.startTime || !v.endTime || v.endTime.getTime() > v.startTime.getTime(), {
    path: ['endTime'],
    message: 'must be after startTime',
  });

export const eventIdInput = z.strictObject({ id: eventId });

export type CreateEventInput = z.output<typeof createEventInput>;
export type UpdateEventInput = z.output<typeof updateEventInput>;
/** The fields a caller sets on an event (what goes to Google). */
export type EventWrite = Omit<UpdateEventInput, 'id' | 'expectedEtag'>;
