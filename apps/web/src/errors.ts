import { TRPCClientError, type AppRouter } from '@calsync/client';

/** What went wrong, for a person: the API's own message, and per-field messages for the form. */
export interface ApiProblem {
  message: string;
  /** Keyed by the API's field path, e.g. `attendees.1`, `endTime`. */
  fields: Record<string, string>;
}

export function describeError(err: unknown): ApiProblem {
  if (!(err instanceof TRPCClientError)) {
    return { message: err instanceof Error ? err.message : 'Something went wrong.', fields: {} };
  }
  // The router's error shape is typed: code, fieldErrors, retryable come from the server's formatter.
  const data = (err as TRPCClientError<AppRouter>).data;
  const fields: Record<string, string> = {};
  for (const f of data?.fieldErrors ?? []) fields[f.field] = f.message;
  switch (data?.code) {
    case 'PRECONDITION_FAILED':
      return { message: 'This event was changed in Google meanwhile. Reload it to see the latest version, then make your change again.', fields };
    case 'UNAUTHORIZED':
      return { message: 'Your token is missing or expired. Paste a fresh one (pnpm start prints it).', fields };
    case 'NOT_FOUND':
      return { message: 'This event no longer exists; it was probably deleted in Google.', fields };
    case 'TOO_MANY_REQUESTS':
      return { message: `Too many requests right now. ${err.message}`, fields };
    case undefined:
      // No answer at all: the server is down or unreachable.
      return { message: 'The calendar service cannot be reached. Is it running?', fields };
    default:
      return { message: data?.retryable ? `${err.message} You can try again.` : err.message, fields };
  }
}
