import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SYNC_PACING, SyncScheduler, type SyncSchedulerOptions } from '../src/sync/sync-scheduler.ts';

// Time is the one thing faked here: the scheduler's decisions are all about when.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function recorder(opts: { durationMs?: number; fail?: () => boolean; busy?: () => boolean } = {}) {
  const starts: number[] = [];
  const run = async () => {
    starts.push(Date.now());
    if (opts.durationMs) await new Promise((r) => setTimeout(r, opts.durationMs));
    if (opts.fail?.()) throw new Error('Google said 503');
    return { busy: opts.busy?.() ?? false };
  };
  return { starts, run };
}

/** The server's defaults unless a test says otherwise. */
function scheduler(run: SyncSchedulerOptions['run'], opts: Partial<SyncSchedulerOptions> = {}) {
  return new SyncScheduler({ run, ...DEFAULT_SYNC_PACING, ...opts });
}

/** One request every `everyMs` for `forMs`; returns when the last one was made. */
async function requestsFor(s: SyncScheduler, forMs: number, everyMs: number): Promise<number> {
  let last = Date.now();
  for (let t = 0; t < forMs; t += everyMs) {
    last = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(everyMs);
  }
  return last;
}

describe('SyncScheduler', () => {
  it('syncs a lone change at once, and the next lone change after a quiet interval too', async () => {
    const r = recorder();
    const s = scheduler(r.run);
    const t0 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(600);
    s.request('cal');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.starts.map((t) => t - t0)).toEqual([0, 600]);
  });

  it("syncs a person's second quick edit at once too, and only then starts waiting (a budget of immediate syncs)", async () => {
    const r = recorder({ durationMs: 20 });
    const s = scheduler(r.run);
    const t0 = Date.now();
    for (const at of [0, 300, 350]) {
      await vi.advanceTimersByTimeAsync(at - (Date.now() - t0));
      s.request('cal');
    }
    await vi.advanceTimersByTimeAsync(5000);
    // Two immediate syncs (the budget), then the third edit waits: quiet for 250 ms, and at
    // least minIntervalMs after the second sync started.
    expect(r.starts.map((t) => t - t0)).toEqual([0, 300, 800]);
    // The budget grows back: after a quiet second a lone edit syncs at once again.
    const t1 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.starts.at(-1)).toBe(t1);
  });

  it('runs at most maxConcurrent syncs across calendars; the others start in the order they became due', async () => {
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const s = scheduler(
      async (calendarId) => {
        order.push(calendarId);
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((r) => setTimeout(r, 100));
        running--;
        return { busy: false };
      },
      { maxConcurrent: 3 },
    );
    for (const c of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) s.request(c);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(1000);
    await s.idle();
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(maxRunning).toBe(3);
  });

  it('a lone change on a quiet calendar starts before the waiting syncs of calendars in a burst', async () => {
    const starts = new Map<string, number>();
    const s = scheduler(
      async (calendarId) => {
        starts.set(calendarId, Date.now());
        await new Promise((r) => setTimeout(r, 300));
        return { busy: false };
      },
      { maxConcurrent: 2 },
    );
    // Twenty stormy calendars whose syncs need more places than there are: a queue forms.
    const stormy = Array.from({ length: 20 }, (_, i) => `storm-${i}`);
    for (let t = 0; t < 3000; t += 50) {
      for (const c of stormy) s.request(c);
      await vi.advanceTimersByTimeAsync(50);
    }
    // A person edits a quiet calendar: it starts at once, in the place bursts never take.
    const asked = Date.now();
    s.request('quiet');
    await vi.advanceTimersByTimeAsync(0);
    expect(starts.get('quiet')).toBe(asked);
    await vi.advanceTimersByTimeAsync(10_000);
    await s.idle();
  });

  it('storms starting on many calendars at once: their leading syncs do not hold up a quiet calendar once they are bursts', async () => {
    const starts = new Map<string, number>();
    const s = scheduler(
      async (calendarId) => {
        if (!starts.has(calendarId)) starts.set(calendarId, Date.now());
        await new Promise((r) => setTimeout(r, 300));
        return { busy: false };
      },
      { maxConcurrent: 2 },
    );
    const stormy = Array.from({ length: 20 }, (_, i) => `storm-${i}`);
    // Every calendar's first notification: a lone change each, more than there are places.
    for (const c of stormy) s.request(c);
    await vi.advanceTimersByTimeAsync(50);
    // Their storms go on; then a person edits a quiet calendar.
    for (const c of stormy) s.request(c);
    const asked = Date.now();
    s.request('quiet');
    await vi.advanceTimersByTimeAsync(300);
    expect((starts.get('quiet') ?? Infinity) - asked).toBeLessThanOrEqual(300);
    await vi.advanceTimersByTimeAsync(20_000);
    await s.idle();
    // The storms' leading syncs still ran, after it.
    expect(stormy.every((c) => starts.has(c))).toBe(true);
  });

  it('turns a storm of 1,000 requests over one second into a leading sync and one after it', async () => {
    const r = recorder({ durationMs: 20 });
    const s = scheduler(r.run);
    const t0 = Date.now();
    const last = await requestsFor(s, 1000, 1);
    await vi.advanceTimersByTimeAsync(5000);
    // Leading sync at once; the next waits for the requests to pause for burstQuietMs.
    expect(r.starts.map((t) => t - t0)).toEqual([0, last - t0 + 250]);
  });

  it('a storm trailing past a second still costs at most three syncs, the last after the last request', async () => {
    const r = recorder({ durationMs: 20 });
    const s = scheduler(r.run);
    const t0 = Date.now();
    const last = await requestsFor(s, 1600, 1);
    await vi.advanceTimersByTimeAsync(5000);
    // Leading; burstMaxWaitMs after the burst's first request (1 ms); the tail, minIntervalMs later.
    expect(r.starts.map((t) => t - t0)).toEqual([0, 1501, 2001]);
    expect(r.starts.at(-1)).toBeGreaterThan(last);
  });

  it('keeps syncing at least every burstMaxWaitMs while requests never pause', async () => {
    const r = recorder({ durationMs: 20 });
    const s = scheduler(r.run);
    const t0 = Date.now();
    const last = await requestsFor(s, 5000, 10);
    await vi.advanceTimersByTimeAsync(5000);
    // Each wait starts at the first request after the previous sync started (10 ms after the
    // leading one, at the same ms as the others); the last ends burstQuietMs after the final request.
    expect(r.starts.map((t) => t - t0)).toEqual([0, 1510, 3010, 4510, last - t0 + 250]);
  });

  describe('notifications still due for changes a sync already brought', () => {
    /**
     * Google as the runner sees it: `edits` changes made at the given times; a sync brings (and
     * reports) every change made since the previous one started.
     */
    function google(editTimes: number[], t0: number, durationMs = 60) {
      const starts: number[] = [];
      let seen = 0;
      const run = async () => {
        const now = Date.now();
        starts.push(now);
        const made = editTimes.filter((t) => t0 + t <= now).length;
        const changes = made - seen;
        seen = made;
        await new Promise((r) => setTimeout(r, durationMs));
        return { busy: false, changes };
      };
      return { starts, run };
    }

    /** One notification per edit, delivered every `everyMs` from `fromMs` (a receiver taking in many calendars' storms). */
    async function deliver(s: SyncScheduler, t0: number, count: number, fromMs: number, everyMs: number): Promise<number> {
      let last = 0;
      for (let i = 0; i < count; i++) {
        await vi.advanceTimersByTimeAsync(t0 + fromMs + i * everyMs - Date.now());
        last = Date.now();
        s.request('cal');
      }
      return last;
    }

    it('a storm of 50 edits in 1 s whose notifications trickle in over 25 s costs a sync per batch of new changes and one check', async () => {
      const t0 = Date.now();
      const editTimes = Array.from({ length: 50 }, (_, i) => i * 18);
      const g = google(editTimes, t0);
      const s = scheduler(g.run);
      const last = await deliver(s, t0, 50, 0, 500);
      await vi.advanceTimersByTimeAsync(5000);
      // At once (edit 0); the second notification with the budget (edits 1-27: 26 of their
      // notifications still to come); the 29th announces edit 28, made after that sync started:
      // a new change amid the storm, synced once notifications pause for burstQuietMs (edits
      // 28-49); the other 21 get one check once they pause.
      expect(g.starts.map((t) => t - t0)).toEqual([0, 500, 14_250, last - t0 + 1000]);

      // Without it, the same storm is a sync per notification (the budget grows back between them).
      const t1 = Date.now();
      const again = google(editTimes, t1);
      const plain = scheduler(again.run, { expectedQuietMs: 0 });
      await deliver(plain, t1, 50, 0, 500);
      await vi.advanceTimersByTimeAsync(5000);
      expect(again.starts.length).toBeGreaterThan(40);
    });

    it('when the first sync comes after the edits, the storm costs that sync and one check', async () => {
      const t0 = Date.now();
      const g = google(Array.from({ length: 50 }, (_, i) => i * 18), t0);
      const s = scheduler(g.run);
      const last = await deliver(s, t0, 50, 1000, 500);
      await vi.advanceTimersByTimeAsync(5000);
      expect(g.starts.map((t) => t - t0)).toEqual([1000, last - t0 + 1000]);
    });

    it('a notification beyond the expected ones is a new change: it syncs after a burst pause, not after the check pause', async () => {
      const t0 = Date.now();
      const g = google([0, 1, 2, 1400], t0);
      const s = scheduler(g.run);
      await vi.advanceTimersByTimeAsync(10);
      s.request('cal'); // brings 3 changes: 2 notifications expected
      await vi.advanceTimersByTimeAsync(990);
      s.request('cal');
      s.request('cal');
      await vi.advanceTimersByTimeAsync(500);
      s.request('cal'); // the edit at 1400: not expected, and not held until the check's pause
      await vi.advanceTimersByTimeAsync(300);
      // Amid a storm's expected notifications: part of the storm, burstQuietMs later.
      expect(g.starts.map((t) => t - t0)).toEqual([10, 1750]);
      await vi.advanceTimersByTimeAsync(5000);
      // The check of the two expected ones was folded into that sync: nothing else ran.
      expect(g.starts).toHaveLength(2);
    });

    it('a storm edited over 1.5 s and taken in faster, one notification per 150 ms: three syncs', async () => {
      // 90 edits in 1.5 s (3 per 50 ms); their notifications arrive one every 150 ms from the
      // start, so they fall further behind the edits (the bench's 1,000 calendars at ~7,000 a second).
      const t0 = Date.now();
      const editTimes = Array.from({ length: 90 }, (_, i) => Math.floor(i / 3) * 50);
      const g = google(editTimes, t0);
      const s = scheduler(g.run);
      const last = await deliver(s, t0, 90, 0, 150);
      await vi.advanceTimersByTimeAsync(5000);
      // At once (edits 0-2: two notifications expected); after those, a new change amid them
      // starts a burst, synced burstMaxWaitMs later (after the edits); one check after the rest.
      expect(g.starts.map((t) => t - t0)).toEqual([0, 1950, last - t0 + 1000]);
    });

    it('expected notifications that never come are forgotten after 10 s', async () => {
      const t0 = Date.now();
      const g = google([0, 1, 2, 3, 11_000], t0);
      const s = scheduler(g.run);
      await vi.advanceTimersByTimeAsync(10);
      s.request('cal'); // 4 changes, 3 notifications expected; Google sent one for all of them
      await vi.advanceTimersByTimeAsync(10_990);
      s.request('cal');
      await vi.advanceTimersByTimeAsync(0);
      expect(g.starts.map((t) => t - t0)).toEqual([10, 11_000]);
    });

    it('a full listing (changes unknown) expects nothing; an incremental one that brought 50 does', async () => {
      for (const changes of [undefined, 50]) {
        const starts: number[] = [];
        const s = scheduler(async () => {
          starts.push(Date.now());
          return { busy: false, changes };
        });
        const t0 = Date.now();
        s.request('cal');
        await vi.advanceTimersByTimeAsync(600);
        s.request('cal');
        await vi.advanceTimersByTimeAsync(0);
        // After a full listing the next notification is a lone change; after 50 changes for one
        // notification it is one of the 49 still due, checked after a pause.
        expect(starts.map((t) => t - t0)).toEqual(changes === undefined ? [0, 600] : [0]);
        await s.stop();
      }
    });
  });

  it('a request while a sync runs causes another sync after it, not before minIntervalMs', async () => {
    const r = recorder({ durationMs: 300 });
    const s = scheduler(r.run);
    const t0 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(100);
    s.request('cal');
    await vi.advanceTimersByTimeAsync(5000);
    // Quiet since 100 ms at 350 ms, but the interval since the start at 0 ends at 500 ms.
    expect(r.starts.map((t) => t - t0)).toEqual([0, 500]);
  });

  it('requests during a sync longer than the interval: the next sync follows it once they pause', async () => {
    const r = recorder({ durationMs: 2000 });
    const s = scheduler(r.run);
    const t0 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(1000);
    s.request('cal');
    await vi.advanceTimersByTimeAsync(900);
    s.request('cal');
    await vi.advanceTimersByTimeAsync(10_000);
    // A calendar with a sync running is not quiet: burstQuietMs after the last request.
    expect(r.starts.map((t) => t - t0)).toEqual([0, 2150]);
  });

  it('idle() waits for the sync that ends a burst', async () => {
    const r = recorder({ durationMs: 20 });
    const s = scheduler(r.run);
    const last = await requestsFor(s, 400, 1);
    let idle = false;
    void s.idle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(last + 200 - Date.now());
    expect(idle).toBe(false);
    expect(r.starts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(r.starts).toHaveLength(2);
    expect(idle).toBe(true);
  });

  it('with minIntervalMs 0 every request syncs at once, or right after the sync in progress', async () => {
    const quick = recorder();
    const s = scheduler(quick.run, { minIntervalMs: 0 });
    const t0 = Date.now();
    await requestsFor(s, 5, 1);
    expect(quick.starts.map((t) => t - t0)).toEqual([0, 1, 2, 3, 4]);

    const slow = recorder({ durationMs: 100 });
    const s2 = scheduler(slow.run, { minIntervalMs: 0 });
    const t1 = Date.now();
    s2.request('cal');
    await vi.advanceTimersByTimeAsync(50);
    s2.request('cal');
    await vi.advanceTimersByTimeAsync(1000);
    expect(slow.starts.map((t) => t - t1)).toEqual([0, 100]);
  });

  it('never runs two syncs of one calendar at once, but calendars are independent', async () => {
    let running = 0;
    let maxRunning = 0;
    const s = scheduler(
      async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((r) => setTimeout(r, 100));
        running--;
        return { busy: false };
      },
      { minIntervalMs: 0 },
    );
    s.request('a');
    s.request('b');
    for (let i = 0; i < 10; i++) {
      s.request('a');
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(500);
    expect(maxRunning).toBe(2);
  });

  it('tries again after a busy sync (another holder may have listed before the change)', async () => {
    let busyTimes = 2;
    const r = recorder({ busy: () => busyTimes-- > 0 });
    const s = scheduler(r.run, { minIntervalMs: 0 });
    const t0 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(1000);
    // Busy twice, then ran: retries are spaced, never a spin.
    expect(r.starts.map((t) => t - t0)).toEqual([0, 50, 100]);
  });

  it('retries a failed sync with growing waits until it succeeds', async () => {
    let failures = 3;
    const r = recorder({ fail: () => failures-- > 0 });
    const errors: unknown[] = [];
    const s = scheduler(r.run, { minIntervalMs: 100, logger: { debug() {}, info() {}, warn() {}, error: (o) => errors.push(o) } });
    const t0 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.starts.map((t) => t - t0)).toEqual([0, 200, 600, 1400]);
    expect(errors).toHaveLength(3);
    await s.idle();
  });

  it('stop() cancels waiting syncs and waits for the running one', async () => {
    const r = recorder({ durationMs: 50 });
    const s = scheduler(r.run, { minIntervalMs: 1000 });
    s.request('cal');
    s.request('cal');
    const stopped = s.stop();
    await vi.advanceTimersByTimeAsync(5000);
    await stopped;
    s.request('cal');
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.starts).toHaveLength(1);
  });
});
