import { silentLogger, type Logger } from '../logger.ts';

/**
 * What the scheduler runs. `busy`: a sync of the calendar was already running (here or in
 * another process) and may have listed before the change that asked for this one: try again.
 */
export type SyncRunner = (calendarId: string) => Promise<{ busy: boolean }>;

/** Shortest wait before retrying a calendar whose sync was busy elsewhere. */
const MIN_BUSY_RETRY_MS = 50;

export interface SyncSchedulerOptions {
  run: SyncRunner;
  /**
   * At most one sync per calendar per this interval. A request for a calendar that has not
   * started a sync within it (and has none running) syncs at once; one that arrives sooner, or
   * while a sync runs, starts a burst. 0 turns bursts off: every request syncs as soon as the
   * calendar's previous sync has finished.
   */
  minIntervalMs: number;
  /**
   * During a burst the next sync waits until requests pause for this long, so a storm is served
   * by one sync after it rather than one per interval through it.
   */
  burstQuietMs: number;
  /**
   * ...but a burst's first waiting request never waits longer than this for its sync, so
   * changes still land while requests keep coming. Either one at 0 gives a plain throttle (one
   * sync per `minIntervalMs`).
   */
  burstMaxWaitMs: number;
  logger?: Logger;
  now?: () => number;
}

/**
 * The pacing a deployment gets unless it configures its own: a lone change syncs at once, and a
 * storm of 1,000 notifications in a second costs two or three list calls.
 */
export const DEFAULT_SYNC_PACING: Readonly<Pick<SyncSchedulerOptions, 'minIntervalMs' | 'burstQuietMs' | 'burstMaxWaitMs'>> = {
  minIntervalMs: 500,
  burstQuietMs: 250,
  burstMaxWaitMs: 1500,
};

interface CalendarSlot {
  /** A request (or a retry) is waiting for a sync that has not started yet. */
  pending: boolean;
  running: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  lastStart: number;
  lastRequest: number;
  /** When the first request of the burst waiting for the next sync came; null: no burst waiting. */
  burstSince: number | null;
  /** Consecutive failed syncs: each one doubles the wait before the retry. */
  failures: number;
  /** The last attempt found the calendar's sync already running. */
  busy: boolean;
}

const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Turns notifications into syncs: immediate for a lone change; for a storm, a leading sync and
 * then one after the notifications pause (or after `burstMaxWaitMs`), so 1,000 notifications in
 * a second cost two or three list calls, not 1,000. A sync serves every request that came before
 * it started; a request during a sync always causes another one after it.
 */
export class SyncScheduler {
  private readonly slots = new Map<string, CalendarSlot>();
  private readonly now: () => number;
  private readonly logger: Logger;
  private stopped = false;

  constructor(private readonly opts: SyncSchedulerOptions) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Asks for a sync of the calendar soon; never waits for it. */
  request(calendarId: string): void {
    if (this.stopped) return;
    const slot = this.slot(calendarId);
    const now = this.now();
    slot.pending = true;
    slot.lastRequest = now;
    const inBurst = slot.running !== null || now < slot.lastStart + this.opts.minIntervalMs;
    if (slot.burstSince === null && inBurst && this.opts.minIntervalMs > 0) slot.burstSince = now;
    // A waiting timer is not moved: it re-reads lastRequest when it fires (one timer per
    // calendar however many requests come, instead of a clearTimeout/setTimeout per request).
    this.pump(calendarId, slot);
  }

  /** Resolves when no sync is running or waiting (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.slots.values()].filter((s) => s.running || s.timer || s.pending);
      if (busy.length === 0) return;
      await Promise.all(busy.map((s) => s.running ?? new Promise((r) => setTimeout(r, 10))));
    }
  }

  /** Stops scheduling; the sync in progress (if any) finishes its current work. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.pending = false;
      slot.burstSince = null;
    }
    await Promise.all([...this.slots.values()].map((s) => s.running));
  }

  private slot(calendarId: string): CalendarSlot {
    let slot = this.slots.get(calendarId);
    if (!slot) {
      slot = {
        pending: false,
        running: null,
        timer: null,
        lastStart: Number.NEGATIVE_INFINITY,
        lastRequest: Number.NEGATIVE_INFINITY,
        burstSince: null,
        failures: 0,
        busy: false,
      };
      this.slots.set(calendarId, slot);
    }
    return slot;
  }

  /**
   * When the waiting sync may start. Requests only ever move it later (lastRequest grows,
   * burstSince and lastStart stay put while waiting), so a timer armed for an earlier due time
   * never fires too late: it recomputes and re-arms.
   */
  private dueAt(slot: CalendarSlot): number {
    const { minIntervalMs, burstQuietMs, burstMaxWaitMs } = this.opts;
    const spacing =
      slot.failures > 0
        ? Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_BUSY_RETRY_MS, minIntervalMs) * 2 ** slot.failures)
        : slot.busy
          ? Math.max(MIN_BUSY_RETRY_MS, minIntervalMs)
          : minIntervalMs;
    const earliest = slot.lastStart + spacing;
    if (slot.burstSince === null) return earliest;
    return Math.max(earliest, Math.min(slot.lastRequest + burstQuietMs, slot.burstSince + burstMaxWaitMs));
  }

  private pump(calendarId: string, slot: CalendarSlot): void {
    if (this.stopped || !slot.pending || slot.running || slot.timer) return;
    const wait = this.dueAt(slot) - this.now();
    if (wait > 0) {
      slot.timer = setTimeout(() => {
        slot.timer = null;
        this.pump(calendarId, slot);
      }, wait);
      return;
    }
    // This sync serves every request so far; later ones wait for the next.
    slot.pending = false;
    slot.burstSince = null;
    slot.lastStart = this.now();
    slot.running = this.opts
      .run(calendarId)
      .then(
        ({ busy }) => {
          slot.failures = 0;
          slot.busy = busy;
          if (busy) slot.pending = true;
        },
        (err: unknown) => {
          // Retried with growing waits; nothing is lost meanwhile because the sync token only
          // advances after a complete sync.
          slot.failures++;
          slot.pending = true;
          this.logger.error({ err, calendarId, failures: slot.failures }, 'sync failed; will retry');
        },
      )
      .finally(() => {
        slot.running = null;
        this.pump(calendarId, slot);
      });
  }
}
