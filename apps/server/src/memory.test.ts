import { spawnSync } from 'node:child_process';
import { expect, it, vi } from 'vitest';
import { releaseMemoryWhenIdle } from './memory.ts';
import { SERVER_DIR, startCommandArgs, startCommandEnv } from './start-command.ts';

const releaseIn = (flags: string[]) =>
  spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', "const m = await import('./src/memory.ts'); console.log(m.releaseUnusedMemory())"], {
    cwd: SERVER_DIR,
    encoding: 'utf8',
  });

it('the start script runs src/main.ts with the heap flags and gc exposed', () => {
  const args = startCommandArgs();
  expect(args.at(-1)).toBe('src/main.ts');
  expect(args).toEqual(expect.arrayContaining(['--import', 'tsx', '--expose-gc']));
  expect(args.some((a) => a.startsWith('--max-old-space-size='))).toBe(true);
});

it("the start script caps glibc's malloc arenas (freed memory of V8's worker threads is otherwise kept in arenas of their own)", () => {
  expect(startCommandEnv()).toEqual({ MALLOC_ARENA_MAX: '2' });
});

it('releases memory after start-up only where gc is exposed', () => {
  const withGc = releaseIn(['--expose-gc']);
  expect(withGc.stderr).toBe('');
  expect(withGc.stdout.trim()).toBe('true');
  expect(releaseIn([]).stdout.trim()).toBe('false');
});

it('releases memory once the process rests after work, and not again until it worked again', () => {
  vi.useFakeTimers();
  try {
    const samples = [0.6, 0.3, 0, 0.01, 0, 0, 0, 0, 0, 0, 0.02, 0, 0.7, 0, 0, 0, 0, 0, 0];
    let released = 0;
    const stop = releaseMemoryWhenIdle({ everyMs: 5_000, quietMs: 30_000, busyAbove: 0.05, utilization: () => samples.shift() ?? 0, release: () => ++released > 0 });
    // Two busy samples, then six quiet ones (30 s): one release.
    vi.advanceTimersByTime(2 * 5_000 + 5 * 5_000);
    expect(released).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(released).toBe(1);
    // Still resting: nothing more. Then work (0.7) and rest again: a second release.
    vi.advanceTimersByTime(4 * 5_000);
    expect(released).toBe(1);
    vi.advanceTimersByTime(6 * 5_000);
    expect(released).toBe(1);
    vi.advanceTimersByTime(5_000);
    expect(released).toBe(2);
    stop();
    vi.advanceTimersByTime(60_000);
    expect(released).toBe(2);
  } finally {
    vi.useRealTimers();
  }
});

it('drops expired state just before each release, so the same collection returns it', () => {
  vi.useFakeTimers();
  try {
    const samples = [0.6, 0, 0, 0, 0, 0, 0];
    const order: string[] = [];
    const stop = releaseMemoryWhenIdle({
      everyMs: 5_000,
      quietMs: 30_000,
      utilization: () => samples.shift() ?? 0,
      beforeRelease: () => order.push('forget'),
      release: () => order.push('release') > 0,
    });
    vi.advanceTimersByTime(7 * 5_000);
    expect(order).toEqual(['forget', 'release']);
    stop();
  } finally {
    vi.useRealTimers();
  }
});
