/**
 * Domain failures the API turns into client-facing codes. Google failures arrive separately as
 * GoogleApiError (from @calsync/google) and keep their own classification.
 */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(what: string, id: string) {
    super(`${what} ${id} was not found.`);
  }
}

/** Input that passed the schema but is wrong in context (e.g. a new end before the stored start). */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
}

/** The request is well-formed but conflicts with the event's state (e.g. editing a cancelled event). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** Another run of the same work (e.g. this calendar's sync) holds the lock for too long. */
export class BusyError extends Error {
  override readonly name = 'BusyError';
}

/** The calendar asked for is not connected (never, or no longer): nothing can be synced or written. */
export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
  constructor(readonly calendarId: string | undefined, message?: string) {
    super(message ?? 'You have no connected Google calendar: connect it first (calendar.connect).');
  }
}

/** Why a calendar could not be connected; each says what to do about it. */
export type ConnectFailure =
  /** The token carries no (verified) email address to find the user's Google account by. */
  | 'no_email'
  /** The user's domain is not one of GOOGLE_WORKSPACE_DOMAINS. */
  | 'domain_not_allowed'
  /** Google refused domain-wide delegation for the service account (Admin console set-up). */
  | 'delegation_not_allowed'
  /** Google knows no active user by that address (no such user, or suspended). */
  | 'unknown_user'
  /** Only an admin may connect or disconnect another user's calendar. */
  | 'not_admin'
  /** Shared mode: the one shared calendar is configured, not connected per user. */
  | 'shared_mode';

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    readonly failure: ConnectFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
