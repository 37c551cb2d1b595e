import { TRPCClientError, type AppRouter } from '@calsync/client';

export interface Failure {
  code: string;
  httpStatus: number;
  message: string;
  /** Fields the server named as wrong (BAD_REQUEST). */
  fields: string[];
  /** What a client acts on beside the code (e.g. calendar_not_connected), or null. */
  reason: string | null;
}

/** Awaits a procedure call that must fail and returns the typed error the client received. */
export async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (err) {
    return failureOf(err);
  }
  throw new Error('expected the call to fail');
}

/** The typed error a client received (e.g. a subscription's onError); anything else is rethrown. */
export function failureOf(err: unknown): Failure {
  if (!(err instanceof TRPCClientError)) throw err;
  const e = err as TRPCClientError<AppRouter>;
  return {
    code: e.data?.code ?? 'UNKNOWN',
    httpStatus: e.data?.httpStatus ?? 0,
    message: e.message,
    fields: (e.data?.fieldErrors ?? []).map((f) => f.field),
    reason: e.data?.reason ?? null,
  };
}
