import { describe, expect, it } from 'vitest';
import { googleEventIdFor } from '../src/ids.ts';

// Google's rule for client-chosen event ids: base32hex characters (a-v, 0-9), 5 to 1024 long.
const GOOGLE_ID = /^[a-v0-9]{5,1024}$/;
const scope = { userId: 'user-1', calendarId: 'rep@acme.test' };

describe('googleEventIdFor', () => {
  it('derives the same valid id from the same idempotency key', () => {
    const a = googleEventIdFor(scope, 'deal-42');
    expect(a).toMatch(GOOGLE_ID);
    expect(googleEventIdFor(scope, 'deal-42')).toBe(a);
  });

  it('scopes keys by user and calendar, so two users never collide', () => {
    const a = googleEventIdFor(scope, 'deal-42');
    expect(googleEventIdFor({ ...scope, userId: 'user-2' }, 'deal-42')).not.toBe(a);
    expect(googleEventIdFor({ ...scope, calendarId: 'other@acme.test' }, 'deal-42')).not.toBe(a);
    expect(googleEventIdFor(scope, 'deal-43')).not.toBe(a);
  });

  it('makes a fresh valid id when there is no key', () => {
    const ids = new Set(Array.from({ length: 100 }, () => googleEventIdFor(scope)));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(GOOGLE_ID);
  });
});
