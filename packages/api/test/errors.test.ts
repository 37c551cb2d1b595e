import { BusyError, ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '@calsync/calendar';
import { GoogleApiError, type GoogleErrorKind } from '@calsync/google';
import { describe, expect, it } from 'vitest';
import { toTRPCError } from '../src/errors.ts';

describe('toTRPCError', () => {
  it.each<[GoogleErrorKind, string]>([
    ['rate_limited', 'TOO_MANY_REQUESTS'],
    ['unavailable', 'SERVICE_UNAVAILABLE'],
    ['auth', 'BAD_GATEWAY'],
    ['config', 'FORBIDDEN'],
    ['forbidden', 'FORBIDDEN'],
    ['not_found', 'NOT_FOUND'],
    ['conflict', 'CONFLICT'],
    ['gone', 'NOT_FOUND'],
    ['precondition_failed', 'PRECONDITION_FAILED'],
    ['invalid', 'BAD_REQUEST'],
  ])('maps Google %s to %s and keeps the actionable message', (kind, code) => {
    const err = toTRPCError(new GoogleApiError(kind, 'what to do about it'));
    expect(err?.code).toBe(code);
    expect(err?.message).toBe('what to do about it');
  });

  it('maps domain errors', () => {
    expect(toTRPCError(new ValidationError('endTime', 'must be after startTime'))?.code).toBe('BAD_REQUEST');
    expect(toTRPCError(new NotFoundError('Event', 'x'))?.code).toBe('NOT_FOUND');
    expect(toTRPCError(new PreconditionFailedError('stale'))?.code).toBe('PRECONDITION_FAILED');
    expect(toTRPCError(new ConflictError('cancelled'))?.code).toBe('CONFLICT');
    expect(toTRPCError(new BusyError('sync running'))?.code).toBe('CONFLICT');
  });

  it('leaves unknown errors unmapped (they become a generic internal error)', () => {
    expect(toTRPCError(new Error('relation "calendar_events" does not exist'))).toBeNull();
  });
});
