import { TRPCClientError, type AppRouter } from '@calsync/client';

/** What went wrong, for a person: the API's own message, and per-field messages for the form. */
export interface ApiProblem {
  message: string;
  /** Keyed by the API's field path, e.g. `attendees.1`, `endTime`. */
  fields: Record<string, string>;
  /**
   * The API's machine-readable reason, where the page acts on it: `calendar_not_connected`
   * (show "connect my calendar"), or why a connect failed (`domain_not_allowed`, ...).
   */
  reason: string | null;
}

/** The procedures about one event: a NOT_FOUND there means the event, not the calendar. */
const EVENT_PROCEDURES = new Set(['calendar.getEvent', 'calendar.updateEvent', 'calendar.cancelEvent']);

export function describeError(err: unknown): ApiProblem {
  if (!(err instanceof TRPCClientError)) {
    return { message: err instanceof Error ? err.message : 'Something went wrong.', fields: {}, reason: null };
  }
  // The router's error shape is typed: code, fieldErrors, reason, retryable come from the server's formatter.
  const data = (err as TRPCClientError<AppRouter>).data;
  const fields: Record<string, string> = {};
  for (const f of data?.fieldErrors ?? []) fields[f.field] = f.message;
  const reason = data?.reason ?? null;
  const problem = (message: string): ApiProblem => ({ message, fields, reason });
  if (reason === 'calendar_not_connected') return problem('Your Google calendar is not connected (any more). Connect it to see and schedule your meetings.');
  // A failed connect or disconnect: the API's message names the cause and what to do about it
  // (the Admin console setting, the unknown user, the missing email), so it is shown as it is.
  if (reason) return problem(err.message);
  switch (data?.code) {
    case 'PRECONDITION_FAILED':
      return problem('This event was changed in Google meanwhile. Reload it to see the latest version, then make your change again.');
    case 'UNAUTHORIZED':
      return problem('Your token is missing or expired. Paste a fresh one (pnpm start prints it).');
    case 'NOT_FOUND':
      return problem(EVENT_PROCEDURES.has(data.path ?? '') ? 'This event no longer exists; it was probably deleted in Google.' : err.message);
    case 'TOO_MANY_REQUESTS':
      return problem(`Too many requests right now. ${err.message}`);
    case undefined:
      // No answer at all: the server is down or unreachable.
      return problem('The calendar service cannot be reached. Is it running?');
    default:
      return problem(data?.retryable ? `${err.message} You can try again.` : err.message);
  }
}
