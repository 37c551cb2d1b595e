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

  it('relays changes to the other processes and tells each open stream once, wherever the change was made', async () => {
    const a = new CalendarChanges();
    const b = new CalendarChanges();
    // A wire as PostgreSQL NOTIFY behaves: every process, the sender too, hears every message, later.
    const processes = [a, b];
    for (const p of processes) p.relayTo((message) => setTimeout(() => processes.forEach((q) => q.receive(message)), 1));
    const seenA: CalendarChange[] = [];
    const seenB: CalendarChange[] = [];
    const stopA = a.subscribe('cal@x', (c) => seenA.push(c));
    const stopB = b.subscribe('cal@x', (c) => seenB.push(c));
    const stopOther = b.subscribe('other@x', (c) => seenB.push(c));
    a.publish('cal@x', { changed: 1, deleted: 0, source: 'sync' });
    b.publish('cal@x', { changed: 0, deleted: 2, source: 'write' });
    await new Promise((r) => setTimeout(r, 20));
    const counts = (seen: CalendarChange[]) => seen.map(({ calendarId, changed, deleted, source }) => ({ calendarId, changed, deleted, source }));
    // Each process tells its own subscribers at once and the other's later: compare in a fixed order.
    const inOrder = (seen: CalendarChange[]) => counts(seen).sort((x, y) => y.changed - x.changed);
    for (const seen of [seenA, seenB]) {
      expect(inOrder(seen)).toEqual([
        { calendarId: 'cal@x', changed: 1, deleted: 0, source: 'sync' },
        { calendarId: 'cal@x', changed: 0, deleted: 2, source: 'write' },
      ]);
      for (const c of seen) expect(c.at).toBeInstanceOf(Date);
    }
    stopA();
    stopB();
    stopOther();
  });

  it('ignores relayed messages that are not changes', () => {
    const changes = new CalendarChanges();
    const seen: CalendarChange[] = [];
    changes.subscribe('cal@x', (c) => seen.push(c));
    const valid = { v: 1, origin: 'other-process', calendarId: 'cal@x', changed: 1, deleted: 0, source: 'sync', at: new Date().toISOString() };
    for (const bad of ['not json', 'null', '[]', JSON.stringify({ ...valid, v: 2 }), JSON.stringify({ ...valid, changed: -1 }), JSON.stringify({ ...valid, deleted: 1.5 }), JSON.stringify({ ...valid, source: 'x' }), JSON.stringify({ ...valid, at: 'yesterday' }), JSON.stringify({ ...valid, calendarId: '' })]) {
      changes.receive(bad);
    }
    expect(seen).toEqual([]);
    changes.receive(JSON.stringify(valid));
    expect(seen).toHaveLength(1);
  });

  it('tells every open stream to re-read when the relay may have lost messages', () => {
    const changes = new CalendarChanges();
    const seen: CalendarChange[] = [];
    changes.subscribe('a@x', (c) => seen.push(c));
    changes.subscribe('b@x', (c) => seen.push(c));
    changes.relayGap();
    expect(seen.map((c) => [c.calendarId, c.changed, c.deleted])).toEqual([
      ['a@x', 0, 0],
      ['b@x', 0, 0],
    ]);
  });
});
