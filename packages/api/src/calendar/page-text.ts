import type { JsonStyle, TextParts } from '@calsync/calendar';
import type { z } from 'zod';
import type { Context } from '../context.ts';
import { appRouter } from '../root.ts';
import { toRestEventList } from '../rest/event.ts';
import { calendarProcedure, createCallerFactory, createTRPCRouter } from '../trpc.ts';
import { listEventsQuery } from './router.ts';
import { listEventsInput } from './schemas.ts';
import { encodeEventPage, pageRestJson, pageWireJson } from './wire.ts';

/**
 * calendar.listEvents with its answer as JSON bytes, for the HTTP layer to write as they are: the
 * same procedure chain as the router's (authentication, the caller's calendar, the input schema,
 * error mapping), the same reading of the input, and for a window (the hot path) the page
 * PostgreSQL wrote (listWindowJson) instead of rows made into objects and stringified again.
 * Not mounted in the router: its results are bytes, which no typed client should see.
 */
const listPageRouter = createTRPCRouter({
  api: calendarProcedure.input(listEventsInput).query(({ ctx, input }) => pageText(ctx, input, 'api')),
  rest: calendarProcedure.input(listEventsInput).query(({ ctx, input }) => pageText(ctx, input, 'rest')),
});
const createListPageCaller = createCallerFactory(listPageRouter);

type ProcedureContext = Parameters<Parameters<typeof calendarProcedure.query>[0]>[0]['ctx'];

async function pageText(ctx: ProcedureContext, input: z.output<typeof listEventsInput>, style: JsonStyle): Promise<TextParts> {
  const query = listEventsQuery(ctx.user, input);
  if (query.dealId !== undefined || query.contactId !== undefined) {
    // A deal's or contact's meetings: a rarer query of its own (listLinked), encoded here.
    const page = await ctx.deps.events.listEvents(ctx.scope, query);
    return [JSON.stringify(style === 'api' ? encodeEventPage(page) : toRestEventList(page))];
  }
  const page = await ctx.deps.events.listEventsText(ctx.scope, query, style);
  return style === 'api' ? pageWireJson(page) : pageRestJson(page);
}

/**
 * The JSON (in parts, to be joined once by joinUtf8) of what calendar.listEvents answers for `input` (not yet validated: the
 * procedure's schema does that): in `api` style exactly the `data` tRPC sends (superjson's wire
 * form of the EventPage), in `rest` style the REST list answer. Fails as the procedure does.
 */
export function listEventsJson(ctx: Context, input: unknown, style: JsonStyle): Promise<TextParts> {
  const caller = createListPageCaller(ctx);
  // The input schema validates it; its static type is the client's.
  const args = input as z.input<typeof listEventsInput>;
  return style === 'api' ? caller.api(args) : caller.rest(args);
}

/** A tRPC request's input as the procedures read it: decoded by the router's own transformer. */
export function decodeProcedureInput(raw: unknown): unknown {
  return appRouter._def._config.transformer.input.deserialize(raw);
}
