import type { AvailabilityService, CalendarChanges, CalendarDirectory, CalendarScope, Caller, EventService, SyncService, WatchService } from '@calsync/calendar';
import { bearerToken, type AuthUser, type TokenVerifier } from './auth.ts';

/** Everything procedures need, built once by the app and passed in. */
export interface ApiDeps {
  events: EventService;
  /** Free/busy and free slots from our copy of the calendars. */
  availability: AvailabilityService;
  sync: SyncService;
  watch: WatchService;
  /** Where `calendar.onChange` subscriptions hear about changes (syncs and writes in this process). */
  changes: CalendarChanges;
  /** Which calendar each caller reaches; connecting and disconnecting calendars. */
  calendars: CalendarDirectory;
  verifyToken: TokenVerifier;
  /** Told the scope of each call once it is known (e.g. to put the calendar on its log lines). */
  observeScope?: ((scope: CalendarScope) => void) | undefined;
}

export interface Context {
  deps: ApiDeps;
  user: AuthUser | null;
}

/** The authenticated user as the calendar directory sees them. */
export function callerOf(user: AuthUser): Caller {
  return { id: user.id, email: user.email, emailVerified: user.emailVerified === true, admin: user.admin === true };
}

/** Plain function of explicit dependencies: tests call routers with it and no HTTP. */
export function createContextInner(deps: ApiDeps, user: AuthUser | null): Context {
  return { deps, user };
}

/** For HTTP adapters: authenticates the request's Bearer token once per (batched) request. */
export async function createContextFromHeaders(deps: ApiDeps, authorization: string | undefined): Promise<Context> {
  const token = bearerToken(authorization);
  const user = token ? await deps.verifyToken(token) : null;
  return createContextInner(deps, user);
}
