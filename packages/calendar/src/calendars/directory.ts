import type { EntityManager } from '@calsync/db';
import { GoogleApiError, type GoogleCalendarGateway } from '@calsync/google';
import { ConnectError, NotConnectedError, NotFoundError } from '../errors.ts';
import type { CalendarScope } from '../event/service.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { WatchService } from '../sync/watch-service.ts';
import type { CalendarState } from './entity.ts';
import {
  claimCalendar,
  findCalendar,
  findCalendarsOfOwner,
  forgetCalendarEvents,
  listCalendarStatuses,
  markDisconnected,
  markFailed,
  upsertConnected,
  type CalendarStatus,
  type ConnectedCalendarRow,
} from './store.ts';

/**
 * Whose calendars this deployment serves.
 * - `shared`: one calendar (the service account's own, or one user's through delegation) that
 *   every authenticated user reads and writes: the seed's design, for deployments without
 *   domain-wide delegation.
 * - `delegation`: every user of the listed Workspace domains connects their own calendar; the
 *   service account acts as them (domain-wide delegation).
 */
export type CalendarAccess =
  | { mode: 'shared'; calendarId: string; subject: string | undefined }
  | { mode: 'delegation'; domains: readonly string[] };

/** The authenticated caller, as far as calendars are concerned. */
export interface Caller {
  /** The token's `sub`. */
  id: string;
  /** The token's email claim (lower case), when present. */
  email: string | undefined;
  /** The token says the email is verified (or the token's issuer vouches for every email it signs). */
  emailVerified: boolean;
  admin: boolean;
}

/** What the caller's own calendar looks like to them (the web page's "connect my calendar" state). */
export interface Connection {
  mode: CalendarAccess['mode'];
  /** Null: nothing connected (never, or disconnected). */
  calendar: CalendarStatus | null;
  /** The caller may connect their own calendar (delegation mode, an allowed domain, a verified email). */
  canConnect: boolean;
  admin: boolean;
}

export interface CalendarDirectoryDeps {
  em: EntityManager;
  google: GoogleCalendarGateway;
  watch: WatchService;
  access: CalendarAccess;
  logger?: Logger;
  /** The service account's client ID, named in the delegation set-up a Workspace admin must make. */
  serviceAccountClientId?: string | undefined;
  /** A connected calendar whose channel expires later than this is not re-watched by a repeated connect. */
  renewBeforeMs: number;
  /** How long a caller's calendar is remembered (a disconnect in another process is seen after at most this). */
  cacheTtlMs?: number;
  now?: () => number;
}

const DEFAULT_CACHE_TTL_MS = 5_000;
const MAX_CACHED_CALLERS = 10_000;

/**
 * Which calendar each caller reaches, and connecting and disconnecting calendars. The one place
 * that decides a call's calendar: the API asks it for every call's scope. A caller reaches only
 * their own calendar; an admin may name any connected calendar. Another user's calendar answers
 * exactly as one that does not exist.
 */
export class CalendarDirectory {
  private readonly logger: Logger;
  private readonly now: () => number;
  /**
   * caller id -> their calendar, for a few seconds: the list path resolves a scope per request. A
   * disconnect in another process is seen here after at most `cacheTtlMs`.
   */
  private readonly own = new Map<string, { calendar: ConnectedCalendarRow; until: number }>();

  constructor(private readonly deps: CalendarDirectoryDeps) {
    this.logger = deps.logger ?? silentLogger;
    this.now = deps.now ?? Date.now;
  }

  get mode(): CalendarAccess['mode'] {
    return this.deps.access.mode;
  }

  /**
   * Shared mode: the shared calendar is a connected calendar, created on first start (or, on an
   * upgrade, the row the migration made for it, now with its subject).
   */
  async ensureShared(): Promise<void> {
    const { access } = this.deps;
    if (access.mode !== 'shared') return;
    await upsertConnected(this.deps.em.fork(), { calendarId: access.calendarId, subject: access.subject ?? null, ownerId: null });
  }

  /**
   * The scope of a call: the caller's own connected calendar, or (admins only) the one they
   * name. A name that is not the caller's own, for a non-admin, is NOT_FOUND like an unknown one.
   */
  async resolve(caller: Caller, requested?: string): Promise<CalendarScope> {
    const { access } = this.deps;
    if (access.mode === 'shared') {
      if (requested !== undefined && requested !== access.calendarId) throw new NotFoundError('Calendar', requested);
      return { userId: caller.id, calendarId: access.calendarId, subject: access.subject };
    }
    if (requested !== undefined) {
      if (caller.admin) {
        const calendar = await findCalendar(this.deps.em.fork(), requested);
        if (!calendar) throw new NotFoundError('Calendar', requested);
        // Nothing follows a disconnected calendar in Google: writes to it would drift at once.
        if (calendar.state === 'disconnected') throw new NotConnectedError(requested, `Calendar ${requested} is disconnected: connect it first (calendar.connect).`);
        return this.scopeOf(caller, calendar);
      }
      const own = await this.ownCalendar(caller);
      if (own?.calendarId !== requested) throw new NotFoundError('Calendar', requested);
      if (own.state === 'disconnected') throw new NotConnectedError(undefined);
      return this.scopeOf(caller, own);
    }
    const own = await this.ownCalendar(caller);
    if (!own || own.state === 'disconnected') throw new NotConnectedError(undefined);
    return this.scopeOf(caller, own);
  }

  async connection(caller: Caller): Promise<Connection> {
    const { access } = this.deps;
    const calendarId = access.mode === 'shared' ? access.calendarId : (await this.ownCalendar(caller))?.calendarId;
    const status = calendarId ? await this.status(calendarId) : null;
    return {
      mode: access.mode,
      calendar: status && status.state !== 'disconnected' ? status : null,
      canConnect: access.mode === 'delegation' && caller.emailVerified && caller.email !== undefined && this.domainAllowed(caller.email),
      admin: caller.admin,
    };
  }

  /**
   * Connects a Workspace user's calendar through domain-wide delegation: the caller's own, or
   * (admins) any user's of an allowed domain. Checks with Google that delegation works for that
   * user, then opens the push channel and runs the initial sync. Connecting a calendar that is
   * connected and watched already changes nothing.
   */
  async connect(caller: Caller, opts: { userEmail?: string | undefined } = {}): Promise<CalendarStatus> {
    const { access } = this.deps;
    if (access.mode === 'shared') {
      throw new ConnectError('shared_mode', 'This deployment serves one shared calendar (GOOGLE_WORKSPACE_DOMAINS is not set): there is nothing to connect per user.');
    }
    const email = this.target(caller, opts.userEmail);
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (!this.domainAllowed(email)) {
      throw new ConnectError('domain_not_allowed', `${domain} is not one of the Google Workspace domains this service may act in (GOOGLE_WORKSPACE_DOMAINS: ${access.domains.join(', ')}).`);
    }
    await this.checkDelegation(email, domain);

    const em = this.deps.em.fork();
    const existing = await findCalendar(em, email);
    const ownerId = email === caller.email ? caller.id : null;
    const calendar = await upsertConnected(em, { calendarId: email, subject: email, ownerId });
    this.forget(calendar.calendarId);
    const before = existing ? await this.status(email) : null;
    const watched = existing?.state === 'active' && before?.channelExpiration && before.channelExpiration.getTime() - this.now() > this.deps.renewBeforeMs;
    if (!watched) {
      try {
        await this.deps.watch.watch(email);
      } catch (err) {
        await markFailed(this.deps.em.fork(), email, describe(err), { baseMs: 60_000, maxMs: 3_600_000 });
        throw err;
      }
    }
    this.logger.info({ calendarId: email, byAdmin: ownerId === null, alreadyWatched: Boolean(watched) }, 'calendar connected');
    return (await this.status(email)) as CalendarStatus;
  }

  /**
   * Stops the calendar's push channel and marks it disconnected; its events are deleted unless
   * `keepEvents`. The caller's own calendar, or (admins) the one they name.
   */
  async disconnect(caller: Caller, opts: { calendarId?: string | undefined; keepEvents?: boolean | undefined } = {}): Promise<CalendarStatus> {
    if (this.deps.access.mode === 'shared') {
      throw new ConnectError('shared_mode', 'This deployment serves one shared calendar (GOOGLE_WORKSPACE_DOMAINS is not set): it is configured, not disconnected per user.');
    }
    let calendarId: string;
    if (opts.calendarId !== undefined) {
      calendarId = (await this.resolve(caller, opts.calendarId)).calendarId;
    } else {
      const own = await this.ownCalendar(caller);
      if (!own || own.state === 'disconnected') throw new NotConnectedError(undefined);
      calendarId = own.calendarId;
    }
    await this.deps.watch.stopWatch(calendarId);
    await markDisconnected(this.deps.em.fork(), calendarId, opts.calendarId !== undefined && caller.admin ? `disconnected by admin ${caller.email ?? caller.id}` : 'disconnected by its owner');
    const deleted = opts.keepEvents ? 0 : await forgetCalendarEvents(this.deps.em.fork(), calendarId);
    this.forget(calendarId);
    this.logger.info({ calendarId, keepEvents: Boolean(opts.keepEvents), deletedEvents: deleted }, 'calendar disconnected');
    return (await this.status(calendarId)) as CalendarStatus;
  }

  /** Connected calendars with their state, channel expiry, last sync and last error (admins). */
  async list(caller: Caller, opts: { after?: string | undefined; limit: number; state?: CalendarState | undefined }): Promise<{ items: CalendarStatus[]; nextCursor: string | null }> {
    if (!caller.admin) throw new ConnectError('not_admin', 'Only an admin can list the connected calendars.');
    const rows = await listCalendarStatuses(this.deps.em.fork(), { ...opts, limit: opts.limit + 1 });
    const items = rows.slice(0, opts.limit);
    return { items, nextCursor: rows.length > opts.limit ? (items.at(-1)?.calendarId ?? null) : null };
  }

  /** Forgets what this process remembers of a calendar's owner (after a change to it). */
  forget(calendarId: string): void {
    for (const [caller, entry] of this.own) if (entry.calendar.calendarId === calendarId) this.own.delete(caller);
  }

  private async status(calendarId: string): Promise<CalendarStatus | null> {
    const [status] = await listCalendarStatuses(this.deps.em.fork(), { after: undefined, limit: 1, state: undefined, only: calendarId });
    return status ?? null;
  }

  private scopeOf(caller: Caller, calendar: ConnectedCalendarRow): CalendarScope {
    return { userId: caller.id, calendarId: calendar.calendarId, subject: calendar.subject ?? undefined };
  }

  /** The email whose calendar a connect is for: the caller's own, or (admins) the one they name. */
  private target(caller: Caller, userEmail: string | undefined): string {
    const requested = userEmail?.trim().toLowerCase();
    if (requested !== undefined && requested !== caller.email) {
      if (!caller.admin) throw new ConnectError('not_admin', "Only an admin can connect another user's calendar.");
      return requested;
    }
    if (!caller.email || !caller.emailVerified) {
      throw new ConnectError('no_email', 'Your sign-in token carries no verified email address, so your Google account cannot be found: sign in again, or ask an admin to connect your calendar.');
    }
    return caller.email;
  }

  private domainAllowed(email: string): boolean {
    const { access } = this.deps;
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    return access.mode === 'delegation' && access.domains.includes(domain);
  }

  /** A token for the user proves delegation works for them; Google's refusals say what to fix. */
  private async checkDelegation(email: string, domain: string): Promise<void> {
    try {
      await this.deps.google.checkAccess(email);
    } catch (err) {
      const problem = err instanceof GoogleApiError ? err.setupProblem : undefined;
      if (problem === 'delegation_missing' || problem === 'scope_missing') {
        const client = this.deps.serviceAccountClientId ? `client ID ${this.deps.serviceAccountClientId}` : "the service account's client ID (client_id in its key JSON)";
        throw new ConnectError(
          'delegation_not_allowed',
          `Google refused to let this service act for users of ${domain}. In the Google Admin console of ${domain}, open Security > Access and data control > API controls > Manage domain-wide delegation and allow ${client} the scope https://www.googleapis.com/auth/calendar.`,
          { cause: err },
        );
      }
      if (problem === 'unknown_user') {
        throw new ConnectError('unknown_user', `Google knows no active Workspace user ${email} (no such user in ${domain}, or the user is suspended).`, { cause: err });
      }
      throw err;
    }
  }

  /** The caller's calendar: the one they own, else (first use) the one an admin connected for their verified email. */
  private async ownCalendar(caller: Caller): Promise<ConnectedCalendarRow | null> {
    const now = this.now();
    const cached = this.own.get(caller.id);
    if (cached && cached.until > now) return cached.calendar;
    const em = this.deps.em.fork();
    let calendar = (await findCalendarsOfOwner(em, caller.id))[0] ?? null;
    if (!calendar && caller.email && caller.emailVerified && this.domainAllowed(caller.email)) {
      const byEmail = await findCalendar(em, caller.email);
      if (byEmail && byEmail.ownerId === null && (await claimCalendar(em, byEmail.calendarId, caller.id))) calendar = { ...byEmail, ownerId: caller.id };
    }
    // Only a found calendar is remembered: one connected in another process a moment ago must
    // show on the caller's next request, wherever it lands.
    if (calendar) {
      if (this.own.size >= MAX_CACHED_CALLERS) this.own.clear();
      this.own.set(caller.id, { calendar, until: now + (this.deps.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS) });
    }
    return calendar;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
