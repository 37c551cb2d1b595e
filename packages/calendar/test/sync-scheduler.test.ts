import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SyncScheduler } from '../src/sync/sync-scheduler.ts';

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

describe('SyncScheduler', () => {
  it('syncs a lone change at once', async () => {
    const r = recorder();
    const s = new SyncScheduler({ run: r.run, minIntervalMs: 500 });
    const t0 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.starts).toEqual([t0]);
  });

  it('turns a storm of 1,000 requests over one second into one sync per interval', async () => {
    const r = recorder({ durationMs: 20 });
    const s = new SyncScheduler({ run: r.run, minIntervalMs: 500 });
    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) {
      s.request('cal');
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(2000);
    // Leading sync, then one per 500 ms while requests kept coming, then one to cover the tail.
    expect(r.starts.map((t) => t - t0)).toEqual([0, 500, 1000]);
  });

  it('never runs two syncs of one calendar at once, but calendars are independent', async () => {
    let running = 0;
    let maxRunning = 0;
    const s = new SyncScheduler({
      minIntervalMs: 0,
      run: async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((r) => setTimeout(r, 100));
        running--;
        return { busy: false };
      },
    });
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
    const s = new SyncScheduler({ run: r.run, minIntervalMs: 0 });
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
    const s = new SyncScheduler({ run: r.run, minIntervalMs: 100, logger: { debug() {}, info() {}, warn() {}, error: (o) => errors.push(o) } });
    const t0 = Date.now();
    s.request('cal');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.starts.map((t) => t - t0)).toEqual([0, 200, 600, 1400]);
    expect(errors).toHaveLength(3);
    await s.idle();
  });

  it('stop() cancels waiting syncs and waits for the running one', async () => {
    const r = recorder({ durationMs: 50 });
    const s = new SyncScheduler({ run: r.run, minIntervalMs: 1000 });
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
