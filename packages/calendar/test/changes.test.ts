import { describe, expect, it } from 'vitest';
import { CalendarChanges, type CalendarChange } from '../src/changes.ts';

describe('CalendarChanges', () => {
  it('streams a calendar’s changes to each subscriber, and only that calendar’s', async () => {
    const changes = new CalendarChanges();
    const ac = new AbortController();
    const seen: CalendarChange[] = [];
    const reading = (async () => {
      for await (const c of changes.stream('a@x', ac.signal)) {
        seen.push(c);
        if (seen.length === 2) ac.abort();
      }
    })();
    // The generator subscribes on its first pull; let it start.
    await new Promise((r) => setTimeout(r, 0));
    changes.publish('b@x', { changed: 1, deleted: 0, source: 'sync' });
    changes.publish('a@x', { changed: 0, deleted: 0, source: 'sync' }); // nothing changed: not announced
    changes.publish('a@x', { changed: 2, deleted: 0, source: 'sync' });
    changes.publish('a@x', { changed: 0, deleted: 1, source: 'write' });
    await reading;
    expect(seen.map(({ calendarId, changed, deleted, source }) => ({ calendarId, changed, deleted, source }))).toEqual([
      { calendarId: 'a@x', changed: 2, deleted: 0, source: 'sync' },
      { calendarId: 'a@x', changed: 0, deleted: 1, source: 'write' },
    ]);
  });

  it('ends every open stream on close, so a server can shut down without waiting on them', async () => {
    const changes = new CalendarChanges();
    const reading = (async () => {
      let n = 0;
      for await (const _ of changes.stream('a@x')) n++;
      return n;
    })();
    await new Promise((r) => setTimeout(r, 0));
    changes.publish('a@x', { changed: 1, deleted: 0, source: 'sync' });
    await new Promise((r) => setTimeout(r, 0));
    changes.close();
    expect(await reading).toBe(1);
    // A stream opened after close ends at once.
    const after: CalendarChange[] = [];
    for await (const c of changes.stream('a@x')) after.push(c);
    expect(after).toEqual([]);
  });
});
