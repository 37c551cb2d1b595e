import type { ListEventsInput } from '@calsync/calendar';
import type { TRPCRouterRecord } from '@trpc/server';
import type { z } from 'zod';
import type { AuthUser } from '../auth.ts';
import { callerOf } from '../context.ts';
import { calendarProcedure, protectedProcedure } from '../trpc.ts';
import {
  cancelEventInput,
  connectInput,
  createEventInput,
  disconnectInput,
  eventIdInput,
  findSlotsInput,
  freeBusyInput,
  listCalendarsInput,
  listEventsInput,
  onChangeInput,
  syncInput,
  updateEventInput,
  watchInput,
} from './schemas.ts';

export const calendarRouter = {
  /**
   * The caller's own calendar as they see it: connected (with its state, channel and last sync)
   * or not, and whether they may connect it. Never fails for an unconnected caller.
   */
  connection: protectedProcedure.query(({ ctx }) => ctx.deps.calendars.connection(callerOf(ctx.user))),

  /**
   * Connects the caller's own Google Workspace calendar through domain-wide delegation (admins:
   * any user's, by `userEmail`), opens its push channel and syncs it. Idempotent.
   */
  connect: protectedProcedure.input(connectInput).mutation(({ ctx, input }) => ctx.deps.calendars.connect(callerOf(ctx.user), { userEmail: input?.userEmail })),

  /** Stops the calendar's push channel and marks it disconnected; its events go unless `keepEvents`. */
  disconnect: protectedProcedure
    .input(disconnectInput)
    .mutation(({ ctx, input }) => ctx.deps.calendars.disconnect(callerOf(ctx.user), { calendarId: input?.calendarId, keepEvents: input?.keepEvents })),

  /** Connected calendars with their state, channel expiry, last sync and last error (admins). */
  calendars: protectedProcedure
    .input(listCalendarsInput)
    .query(({ ctx, input }) => ctx.deps.calendars.list(callerOf(ctx.user), { after: input?.cursor ?? undefined, limit: input?.limit ?? 100, state: input?.state })),

  /** Creates the event in Google (with a Meet link by default) and stores Google's answer. */
  createEvent: calendarProcedure.input(createEventInput).mutation(({ ctx, input }) => ctx.deps.events.createEvent(ctx.scope, input)),

  /**
   * Events overlapping [timeMin, timeMax), from our database only (no Google call). With
   * `dealId` or `contactId`: that record's meetings (the window optional); an admin who names no
   * calendar sees every rep's.
   */
  listEvents: calendarProcedure.input(listEventsInput).query(({ ctx, input }) => ctx.deps.events.listEvents(ctx.scope, listEventsQuery(ctx.user, input))),

  /**
   * Busy intervals of the caller, or of the colleagues named (`users`: their Google addresses),
   * within [timeMin, timeMax), from our database (zero Google calls): meetings shown as free and
   * declined invitations are not busy. A colleague with no connected calendar: `notConnected`.
   */
  freeBusy: calendarProcedure.input(freeBusyInput).query(({ ctx, input }) => ctx.deps.availability.freeBusy(ctx.scope, input)),

  /**
   * The first `limit` slots of `duration` minutes in [timeMin, timeMax) where everyone named is
   * free, within working hours in `timeZone` (default 09:00-17:00, Monday to Friday), keeping
   * `buffer` minutes around meetings. From our database (zero Google calls).
   */
  findSlots: calendarProcedure.input(findSlotsInput).query(({ ctx, input }) => ctx.deps.availability.findSlots(ctx.scope, input)),

  getEvent: calendarProcedure.input(eventIdInput).query(({ ctx, input }) => ctx.deps.events.getEvent(ctx.scope, input.id)),

  /**
   * Patches the event in Google; a stale expectedEtag fails with PRECONDITION_FAILED and writes
   * nothing. For an occurrence of a recurring meeting, `scope` says which change: `instance`
   * (default: this one becomes an exception), `following` (the series is split here), `series`.
   */
  updateEvent: calendarProcedure.input(updateEventInput).mutation(({ ctx, input }) => ctx.deps.events.updateEvent(ctx.scope, input)),

  /**
   * Deletes the event in Google; the local row stays, with status cancelled. For an occurrence of
   * a recurring meeting, `scope` says which go: `instance` (default), `following`, `series`.
   */
  cancelEvent: calendarProcedure.input(cancelEventInput).mutation(({ ctx, input }) => ctx.deps.events.cancelEvent(ctx.scope, input)),

  /**
   * Opens a push channel so changes made in Google reach us within seconds, replacing the
   * calendar's current channel safely, and syncs so the local copy is complete at once.
   */
  watch: calendarProcedure.input(watchInput).mutation(async ({ ctx }) => {
    const channel = await ctx.deps.watch.watch(ctx.scope.calendarId);
    return { channelId: channel.channelId, resourceId: channel.resourceId, expiration: channel.expiration };
  }),

  /** Stops the calendar's push channel at Google. */
  stopWatch: calendarProcedure.input(watchInput).mutation(async ({ ctx }) => ({ stopped: await ctx.deps.watch.stopWatch(ctx.scope.calendarId) })),

  /** Syncs now: incremental with the stored token, or a full listing with `full: true`. */
  sync: calendarProcedure.input(syncInput).mutation(async ({ ctx, input }) => {
    const { changed, deleted, fullSync } = await ctx.deps.sync.sync(ctx.scope.calendarId, { full: input?.full ?? false });
    return { changed, deleted, fullSync };
  }),

  /**
   * Live updates over SSE: one message each time the calendar's local copy changes (a sync
   * brought a change made in Google, or a write through this API), so open pages refetch instead
   * of polling. Messages carry counts, not events: the page re-reads the window it shows.
   */
  onChange: calendarProcedure.input(onChangeInput).subscription(async function* ({ ctx, signal }) {
    for await (const change of ctx.deps.changes.stream(ctx.scope.calendarId, signal)) {
      yield { changed: change.changed, deleted: change.deleted, source: change.source, at: change.at };
    }
  }),
} satisfies TRPCRouterRecord;

/**
 * listEvents' input as the event service takes it: the one reading of it, shared with the page
 * written as text (see page-text.ts).
 */
export function listEventsQuery(user: AuthUser, input: z.output<typeof listEventsInput>): ListEventsInput {
  return {
    ...input,
    cursor: input.cursor ?? undefined,
    allCalendars: (input.dealId !== undefined || input.contactId !== undefined) && input.calendarId === undefined && callerOf(user).admin,
  };
}
