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
