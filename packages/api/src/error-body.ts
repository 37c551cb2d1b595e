import type { TRPCError } from '@trpc/server';

/** One wrong input field, by the name the caller used. */
export interface FieldError {
  field: string;
  message: string;
}

export type ErrorCode = TRPCError['code'];

/** The body of every JSON error answer outside tRPC's own envelope: the REST API and the server's other routes. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldError[]; reason?: string };
}

/**
 * What a caller is told about an internal failure, on every surface: the details stay in the
 * server log (they can name tables, hosts or queries), and a create retried with its key is safe.
 */
export const INTERNAL_ERROR_MESSAGE = 'Internal error; the request may be retried (with the same idempotency key for creates).';

export function errorBody(code: ErrorCode, message: string, fields?: FieldError[], reason?: string | null): ErrorBody {
  return { error: { code, message, ...(fields ? { fields } : {}), ...(reason ? { reason } : {}) } };
}

/**
 * The message of a failed call, shared by the tRPC formatter and the REST routes: the internal
 * message for internal failures, the wrong fields when there are some, else `message`.
 */
export function errorMessage(code: ErrorCode, message: string, fields: readonly FieldError[] | undefined): string {
  if (code === 'INTERNAL_SERVER_ERROR') return INTERNAL_ERROR_MESSAGE;
  if (fields) return fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; ');
  return message;
}
