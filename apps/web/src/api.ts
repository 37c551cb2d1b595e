import { createCalendarClient, type CalendarClient } from '@calsync/client';

/**
 * The typed client, same-origin: the server serves this page (pnpm start) or Vite proxies /trpc
 * to it (pnpm dev). The token is read at each call, so pasting a new one needs no reload.
 */
export function createClient(getToken: () => string | null): CalendarClient {
  return createCalendarClient({ url: new URL('/trpc', window.location.origin).href, getToken });
}
