import type { AppRouter } from '@calsync/api';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';

export type { AppRouter, RouterInputs, RouterOutputs } from '@calsync/api';
export { TRPCClientError } from '@trpc/client';

export type CalendarClient = TRPCClient<AppRouter>;

export interface CalendarClientOptions {
  /** The tRPC endpoint, e.g. http://localhost:3000/trpc */
  url: string;
  /** Returns the user's Bearer JWT; called for every request so it can be refreshed. */
  getToken: () => string | null | undefined | Promise<string | null | undefined>;
  fetch?: typeof fetch;
}

/**
 * The typed client the CRM frontend uses: change a procedure and callers fail to type-check.
 * Queries and mutations go batched over HTTP; subscriptions (`calendar.onChange`) over SSE.
 */
export function createCalendarClient(opts: CalendarClientOptions): CalendarClient {
  const authorization = async (): Promise<Record<string, string>> => {
    const token = await opts.getToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  const baseFetch = opts.fetch ?? globalThis.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: opts.url,
          transformer: superjson,
          // The browser's EventSource cannot send headers; this one (fetch-based) can, so the
          // stream is authenticated exactly like every other call and the token never appears
          // in a URL (where access logs and proxies would keep it). Called for each
          // (re)connection, so a refreshed token is used.
          EventSource,
          eventSourceOptions: async () => {
            const headers = await authorization();
            return { fetch: (url, init) => baseFetch(url, { ...init, headers: { ...init.headers, ...headers } }) };
          },
        }),
        false: httpBatchLink({
          url: opts.url,
          transformer: superjson,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
          headers: authorization,
        }),
      }),
    ],
  });
}

import type { RouterOutputs } from '@calsync/api';
export type EventPage = RouterOutputs['calendar']['listEvents'];
/** An event as listEvents returns it. */
export type EventDTO = EventPage['items'][number];
/** One event as getEvent and each write return it: the event and, for an occurrence of a recurring meeting, its series' rule. */
export type EventDetail = RouterOutputs['calendar']['getEvent'];
/** One live-update message of `calendar.onChange`. */
export type CalendarChangeMessage = RouterOutputs['calendar']['onChange'] extends AsyncIterable<infer M> ? M : never;
