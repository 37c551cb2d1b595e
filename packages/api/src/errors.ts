import { BusyError, ConflictError, ConnectError, type ConnectFailure, NotConnectedError, NotFoundError, PreconditionFailedError, ValidationError } from '@calsync/calendar';
import { GoogleApiError, type GoogleErrorKind } from '@calsync/google';
import { TRPCError } from '@trpc/server';

type Code = TRPCError['code'];

const GOOGLE_CODES: Record<GoogleErrorKind, Code> = {
  rate_limited: 'TOO_MANY_REQUESTS',
  unavailable: 'SERVICE_UNAVAILABLE',
  // The deployment's credentials were refused: nothing the caller can fix, but say what is wrong.
  auth: 'BAD_GATEWAY',
  // A feature this deployment's Google setup does not allow (e.g. Meet without delegation).
  config: 'FORBIDDEN',
  forbidden: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  gone: 'NOT_FOUND',
  sync_token_expired: 'SERVICE_UNAVAILABLE',
  precondition_failed: 'PRECONDITION_FAILED',
  invalid: 'BAD_REQUEST',
};

const CONNECT_CODES: Record<ConnectFailure, Code> = {
  no_email: 'FORBIDDEN',
  domain_not_allowed: 'FORBIDDEN',
  delegation_not_allowed: 'FORBIDDEN',
  unknown_user: 'NOT_FOUND',
  not_admin: 'FORBIDDEN',
  shared_mode: 'FORBIDDEN',
};

/** The one mapping from domain and Google failures to API error codes. Unknown errors stay unknown. */
export function toTRPCError(err: unknown): TRPCError | null {
  if (err instanceof TRPCError) return err;
  if (err instanceof GoogleApiError) return new TRPCError({ code: GOOGLE_CODES[err.kind], message: err.message, cause: err });
  if (err instanceof ValidationError) return new TRPCError({ code: 'BAD_REQUEST', message: err.message, cause: err });
  if (err instanceof NotFoundError) return new TRPCError({ code: 'NOT_FOUND', message: err.message, cause: err });
  if (err instanceof PreconditionFailedError) return new TRPCError({ code: 'PRECONDITION_FAILED', message: err.message, cause: err });
  if (err instanceof ConflictError || err instanceof BusyError) return new TRPCError({ code: 'CONFLICT', message: err.message, cause: err });
  // Not connected: a state the caller resolves by connecting, not a permission the caller lacks for good.
  if (err instanceof NotConnectedError) return new TRPCError({ code: 'PRECONDITION_FAILED', message: err.message, cause: err });
  if (err instanceof ConnectError) return new TRPCError({ code: CONNECT_CODES[err.failure], message: err.message, cause: err });
  return null;
}

/**
 * A machine-readable reason beside the code, where a client acts on it: `calendar_not_connected`
 * (show "connect my calendar"), or why a connect failed.
 */
export function reasonOf(error: TRPCError): string | null {
  if (error.cause instanceof NotConnectedError) return 'calendar_not_connected';
  if (error.cause instanceof ConnectError) return error.cause.failure;
  return null;
}
