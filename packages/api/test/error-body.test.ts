import { describe, expect, it } from 'vitest';
import { errorBody, errorMessage, INTERNAL_ERROR_MESSAGE } from '../src/error-body.ts';

describe('error bodies and messages', () => {
  it('names fields only when there are some', () => {
    expect(errorBody('NOT_FOUND', 'No such route.')).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route.' } });
    expect(errorBody('BAD_REQUEST', 'x', [{ field: 'summary', message: 'too long' }])).toEqual({
      error: { code: 'BAD_REQUEST', message: 'x', fields: [{ field: 'summary', message: 'too long' }] },
    });
  });

  it('never passes on the message of an internal failure', () => {
    expect(errorMessage('INTERNAL_SERVER_ERROR', 'relation "calendar_events" does not exist', undefined)).toBe(INTERNAL_ERROR_MESSAGE);
  });

  it('lists the wrong fields instead of the message, a field-less one by its message alone', () => {
    const fields = [
      { field: 'start_time', message: 'must be an ISO 8601 date-time' },
      { field: '', message: 'end must be after start' },
    ];
    expect(errorMessage('BAD_REQUEST', 'Invalid input', fields)).toBe('start_time: must be an ISO 8601 date-time; end must be after start');
    expect(errorMessage('NOT_FOUND', 'No event with this id.', undefined)).toBe('No event with this id.');
  });
});
