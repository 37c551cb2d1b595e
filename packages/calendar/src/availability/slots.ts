import { compareDates, instantOf, isoWeekday, localDateOf, nextDay } from './zoned.ts';

/** A time interval [start, end) in ms since the epoch. */
export interface Interval {
  start: number;
  end: number;
}

/** Working hours: local times (minutes after midnight) on ISO weekdays (1 Monday ... 7 Sunday). */
export interface WorkingHours {
  startMinute: number;
  endMinute: number;
  days: readonly number[];
}

export interface SlotQuery {
  /** Busy time of everyone asked about (any order, may overlap). */
  busy: readonly Interval[];
  timeMin: number;
  timeMax: number;
  durationMs: number;
  /** Free time kept before and after every busy interval. */
  bufferMs: number;
  /** Slots start on multiples of this (ms since the epoch: whole quarter hours in every zone for 15 min). */
  stepMs: number;
  workingHours: WorkingHours;
  timeZone: string;
  limit: number;
}

/** Sorted, overlapping or touching intervals joined. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** The working-hours intervals of each local day of the window in the zone, clipped to the window. */
export function workingIntervals(q: Pick<SlotQuery, 'timeMin' | 'timeMax' | 'workingHours' | 'timeZone'>): Interval[] {
  const out: Interval[] = [];
  const last = localDateOf(q.timeMax, q.timeZone);
  for (let day = localDateOf(q.timeMin, q.timeZone); compareDates(day, last) <= 0; day = nextDay(day)) {
    if (!q.workingHours.days.includes(isoWeekday(day))) continue;
    const start = Math.max(q.timeMin, instantOf(day, q.workingHours.startMinute, q.timeZone));
    const end = Math.min(q.timeMax, instantOf(day, q.workingHours.endMinute, q.timeZone));
    if (end > start) out.push({ start, end });
  }
  return out;
}

/**
 * The first `limit` slots of `durationMs` inside working hours where nobody is busy (with the
 * buffer around busy time), starting on step boundaries, earliest first.
 */
export function findFreeSlots(q: SlotQuery): Interval[] {
  const blocked = mergeIntervals(q.busy.map((b) => ({ start: b.start - q.bufferMs, end: b.end + q.bufferMs })));
  const slots: Interval[] = [];
  let b = 0;
  for (const work of workingIntervals(q)) {
    let t = Math.ceil(work.start / q.stepMs) * q.stepMs;
    while (t + q.durationMs <= work.end && slots.length < q.limit) {
      while (b < blocked.length && (blocked[b] as Interval).end <= t) b++;
      const next = blocked[b];
      if (next && next.start < t + q.durationMs) {
        // Busy within the slot: the earliest possible start is the end of that busy time.
        t = Math.ceil(next.end / q.stepMs) * q.stepMs;
        continue;
      }
      slots.push({ start: t, end: t + q.durationMs });
      t += q.durationMs;
      t = Math.ceil(t / q.stepMs) * q.stepMs;
    }
    if (slots.length >= q.limit) break;
  }
  return slots;
}
