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
   * At most one sync per calendar per this interval. A quiet calendar syncs at once; during a
   * burst, every notification that arrives meanwhile is served by the next sync.
   */
  minIntervalMs: number;
  logger?: Logger;
  now?: () => number;
}

interface CalendarSlot {
  pending: boolean;
  running: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  lastStart: number;
  /** Consecutive failed syncs: each one doubles the wait before the retry. */
  failures: number;
  /** The last attempt found the calendar's sync already running. */
  busy: boolean;
}

const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Turns notifications into syncs: immediate for a lone change, coalesced and throttled for a
 * storm (1,000 notifications in a second cost a few list calls, not 1,000).
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
    slot.pending = true;
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
    }
    await Promise.all([...this.slots.values()].map((s) => s.running));
  }

  private slot(calendarId: string): CalendarSlot {
    let slot = this.slots.get(calendarId);
    if (!slot) {
      slot = { pending: false, running: null, timer: null, lastStart: Number.NEGATIVE_INFINITY, failures: 0, busy: false };
      this.slots.set(calendarId, slot);
    }
    return slot;
  }

  private pump(calendarId: string, slot: CalendarSlot): void {
    if (this.stopped || !slot.pending || slot.running || slot.timer) return;
    const backoff =
      slot.failures > 0
        ? Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_BUSY_RETRY_MS, this.opts.minIntervalMs) * 2 ** slot.failures)
        : slot.busy
          ? Math.max(MIN_BUSY_RETRY_MS, this.opts.minIntervalMs)
          : this.opts.minIntervalMs;
    const wait = slot.lastStart + backoff - this.now();
    if (wait > 0) {
      slot.timer = setTimeout(() => {
        slot.timer = null;
        this.pump(calendarId, slot);
      }, wait);
      return;
    }
    slot.pending = false;
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
