import { EventPage, ValidationError, type CalendarScope } from '@calsync/calendar';
import { GoogleApiError } from '@calsync/google';
import { initTRPC, TRPCError } from '@trpc/server';
import { z, ZodError } from 'zod';
import { callerOf, type Context } from './context.ts';
import { errorMessage, type FieldError } from './error-body.ts';
import { reasonOf, toTRPCError } from './errors.ts';
import { encodeEventPage } from './calendar/wire.ts';
import { createTransformer, knownOutput } from './transformer.ts';

const t = initTRPC.context<Context>().create({
  // listEvents pages are encoded from their known shape (the hottest response there is).
  transformer: createTransformer([knownOutput(EventPage, encodeEventPage)]),
  // Live updates (SSE): a ping keeps idle connections alive through proxies, and a client that
  // hears nothing (not even pings) for a while reconnects instead of showing a stale page.
  sse: { ping: { enabled: true, intervalMs: 10_000 }, client: { reconnectAfterInactivityMs: 25_000 } },
  errorFormatter({ shape, error }) {
    const fieldErrors = fieldErrorsOf(error);
    const google = error.cause instanceof GoogleApiError ? error.cause : undefined;
    return {
      ...shape,
      message: errorMessage(error.code, shape.message, fieldErrors),
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        fieldErrors: fieldErrors ?? null,
        reason: reasonOf(error),
        retryable: google?.retryable ?? false,
        googleReason: google?.reason ?? null,
      },
    };
  },
});

/** The wrong fields of a BAD_REQUEST, by input name; shared by the tRPC formatter and the REST routes. */
export function fieldErrorsOf(error: TRPCError): FieldError[] | undefined {
  if (error.cause instanceof ZodError) {
    return error.cause.issues.flatMap((i) =>
      // One entry per unknown key, so the field is named rather than its parent object.
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => ({ field: [...i.path, key].map(String).join('.'), message: 'is not a known field' }))
        : [{ field: i.path.map(String).join('.'), message: i.message }],
    );
  }
  if (error.cause instanceof ValidationError) return [{ field: error.cause.field, message: error.cause.reason }];
  return undefined;
}

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause);
    if (mapped) throw mapped;
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'A valid Bearer token is required (Authorization: Bearer <jwt>).' });
  }
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/**
 * A procedure on the caller's calendar: the one place that decides which calendar a call acts
 * on (`ctx.scope`), so no procedure builds it by hand.
 */
export const calendarProcedure = protectedProcedure.use(async ({ ctx, getRawInput, next }) => {
  const scope: CalendarScope = await ctx.deps.calendars.resolve(callerOf(ctx.user), requestedCalendar(await getRawInput()));
  ctx.deps.observeScope?.(scope);
  return next({ ctx: { ...ctx, scope } });
});

/**
 * The `calendarId` a call names, read before the procedure's own input schema (which also
 * declares it, so the client's types have it): the scope must be known first.
 */
function requestedCalendar(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || !('calendarId' in raw) || raw.calendarId === undefined) return undefined;
  const parsed = calendarIdInput.safeParse(raw.calendarId);
  if (!parsed.success) throw new TRPCError({ code: 'BAD_REQUEST', message: 'calendarId: must be a calendar id', cause: new ValidationError('calendarId', 'must be a calendar id (1-1024 characters)') });
  return parsed.data;
}

/** A connected calendar's id (Google's, e.g. a user's address): admins name other users' calendars with it. */
export const calendarIdInput = z.string().min(1).max(1024);
