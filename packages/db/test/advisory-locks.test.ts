import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdvisoryLocks, LockTimeoutError } from '../src/advisory-locks.ts';
import { useTestDatabase } from '../src/testing-hooks.ts';

// Two AdvisoryLocks instances = two processes' lock pools on one database.
const db = useTestDatabase();
let a: AdvisoryLocks;
let b: AdvisoryLocks;
beforeAll(async () => {
  a = new AdvisoryLocks(db.url);
  b = new AdvisoryLocks(db.url);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('AdvisoryLocks', () => {
  it('lets only one holder at a time run under a name, across pools', async () => {
    const release = deferred();
    const entered = deferred();
    const first = a.tryRun('sync:cal-1', async () => {
      entered.resolve();
      await release.promise;
      return 'first';
    });
    await entered.promise;
    expect(await b.tryRun('sync:cal-1', async () => 'second')).toEqual({ acquired: false });
    // Another name is independent.
    expect(await b.tryRun('sync:cal-2', async () => 'other')).toEqual({ acquired: true, value: 'other' });
    release.resolve();
    expect(await first).toEqual({ acquired: true, value: 'first' });
    // Released: the other pool gets it now.
    expect(await b.tryRun('sync:cal-1', async () => 'after')).toEqual({ acquired: true, value: 'after' });
  });

  it('releases the lock when fn throws', async () => {
    await expect(a.tryRun('sync:cal-3', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await b.tryRun('sync:cal-3', async () => 1)).toEqual({ acquired: true, value: 1 });
  });

  it('run() waits for the holder, and times out with a typed error', async () => {
    const release = deferred();
    const entered = deferred();
    const order: string[] = [];
    const first = a.tryRun('sync:cal-4', async () => {
      entered.resolve();
      await release.promise;
      order.push('first');
    });
    await entered.promise;
    await expect(b.run('sync:cal-4', async () => 'never', { timeoutMs: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
    const waiting = b.run('sync:cal-4', async () => order.push('second'), { timeoutMs: 5000 });
    release.resolve();
    await first;
    await waiting;
    expect(order).toEqual(['first', 'second']);
  });
});
