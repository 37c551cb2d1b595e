import { readFileSync, writeFileSync } from 'node:fs';
import { sleep } from './time.ts';

/** Resident memory of another process from /proc (Linux): current and the kernel's high-water mark. */
export interface ProcessMemory {
  rssMb: number;
  hwmMb: number;
}

const MB = 1024;

export function readMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]);
  };
  return { rssMb: kb('VmRSS') / MB, hwmMb: kb('VmHWM') / MB };
}

/**
 * Resets VmHWM to the current RSS (`5` > clear_refs), so the peak of one phase is not the peak of
 * the process' whole life. Needs to own the process (or root); false when the kernel refuses.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples a process' RSS while a phase runs. The reported peak is the larger of the sampled
 * maximum and VmHWM (which also catches spikes between samples, when resetPeak worked).
 */
export function sampleRss(pid: number, everyMs = 25): { stop(): { peakMb: number; startMb: number; endMb: number; samples: number; hwmReset: boolean } } {
  const hwmReset = resetPeak(pid);
  const startMb = readMemory(pid).rssMb;
  let maxMb = startMb;
  let samples = 1;
  const timer = setInterval(() => {
    maxMb = Math.max(maxMb, readMemory(pid).rssMb);
    samples++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const now = readMemory(pid);
      return { peakMb: Math.max(maxMb, now.rssMb, hwmReset ? now.hwmMb : 0), startMb, endMb: now.rssMb, samples, hwmReset };
    },
  };
}

/** Waits until a process' RSS stops moving (start-up finished, lazy loading done), then returns it. */
export async function steadyRss(pid: number, opts: { windowMs: number; toleranceMb: number; timeoutMs: number }): Promise<{ rssMb: number; waitedMs: number; steady: boolean }> {
  const started = performance.now();
  const window: Array<{ at: number; mb: number }> = [];
  for (;;) {
    const now = performance.now();
    window.push({ at: now, mb: readMemory(pid).rssMb });
    while (window.length > 1 && (window[0]?.at ?? now) < now - opts.windowMs) window.shift();
    const values = window.map((s) => s.mb);
    const covered = now - (window[0]?.at ?? now) >= opts.windowMs * 0.9;
    const steady = covered && Math.max(...values) - Math.min(...values) <= opts.toleranceMb;
    if (steady || now - started > opts.timeoutMs) return { rssMb: values.at(-1) ?? Number.NaN, waitedMs: Math.round(now - started), steady };
    await sleep(200);
  }
}

/**
 * Where a process' resident memory is (Linux /proc/<pid>/smaps), in MB: the brk heap (glibc's
 * main malloc arena), anonymous mappings (V8's heap pages, other malloc arenas, thread stacks),
 * and file-backed pages (the node binary, shared libraries).
 */
export function rssBreakdown(pid: number): { brkHeapMb: number; anonymousMb: number; anonymousLargestMb: number[]; fileMb: number; otherMb: number } {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  let brk = 0;
  let file = 0;
  let other = 0;
  const anon: number[] = [];
  let name = '';
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (header) {
      name = header[1] ?? '';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const kb = Number(rss[1]);
    if (name === '[heap]') brk += kb;
    else if (name === '') anon.push(kb);
    else if (name.startsWith('/')) file += kb;
    else other += kb;
  }
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  return {
    brkHeapMb: mb(brk),
    anonymousMb: mb(anon.reduce((s, v) => s + v, 0)),
    anonymousLargestMb: anon.sort((a, b) => b - a).slice(0, 8).map(mb),
    fileMb: mb(file),
    otherMb: mb(other),
  };
}
