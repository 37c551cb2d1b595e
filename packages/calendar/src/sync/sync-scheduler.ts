import { silentLogger, type Logger } from '../logger.ts';

/**
 * What the scheduler runs. `busy`: a sync of the calendar was already running (here or in
 * another process) and may have listed before the change that asked for this one: try again.
 * `changes`: how many changes Google's incremental listing brought (undefined for a full
 * listing, or when none ran).
 */
export type SyncRunner = (calendarId: string) => Promise<{ busy: boolean; changes?: number | undefined }>;

/** Shortest wait before retrying a calendar whose sync was busy elsewhere. */
const MIN_BUSY_RETRY_MS = 50;

export interface SyncSchedulerOptions {
  run: SyncRunner;
  /**
   * Syncs of one calendar in a burst are at least this far apart, and the calendar's budget of
   * immediate syncs grows back by one per interval. 0 turns bursts off: every request syncs as
   * soon as the calendar's previous sync has finished.
   */
  minIntervalMs: number;
  /**
   * A lone request (none running or waiting for the calendar) syncs at once while the calendar
   * has immediate syncs left: a person's second quick edit a few hundred ms after the first shows
   * at once too. A request while a sync runs, or with the budget spent, starts a burst.
   */
  immediateBudget: number;
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
  /**
   * A sync that brought more changes than notifications asked for it ran ahead of their
   * delivery: one notification per change is still on its way (a receiver taking in a thousand
   * calendars' storms gets each calendar's one every half second, for half a minute). Those
   * expected notifications do not sync again one by one: they get one check once they pause for
   * this long. A notification beyond them (or after 10 s without any) is a new change again,
   * synced as part of a burst while the expected ones are still coming.
   * 0 (or `minIntervalMs` 0) turns this off.
   */
  expectedQuietMs: number;
  /**
   * Syncs running at once across all calendars. Calendars due beyond it wait their turn in the
   * order they became due, so a storm on a thousand calendars neither floods the database and
   * Google nor keeps one quiet calendar waiting behind one busy one for long; a lone change (one
   * that took an immediate sync) goes before the syncs of calendars in a burst, and two of the
   * places are kept for lone changes (when there are three or more).
   */
  maxConcurrent: number;
  logger?: Logger;
  now?: () => number;
}

/**
 * The pacing a deployment gets unless it configures its own: a lone change syncs at once (a
 * second one soon after it too), and a storm of 1,000 notifications in a second costs two or
 * three list calls.
 */
export const DEFAULT_SYNC_PACING: Readonly<
  Pick<SyncSchedulerOptions, 'minIntervalMs' | 'immediateBudget' | 'burstQuietMs' | 'burstMaxWaitMs' | 'expectedQuietMs' | 'maxConcurrent'>
> = {
  minIntervalMs: 500,
  immediateBudget: 2,
  burstQuietMs: 250,
  burstMaxWaitMs: 1500,
  expectedQuietMs: 1000,
  // Bursts take 4 of the 6 places, lone changes all: more storm syncs at once than 4 slowed the
  // intake of a 50,000-notification storm on 2 cores (their database work competes with it).
  maxConcurrent: 6,
};

interface CalendarSlot {
  readonly calendarId: string;
  /** A request (or a retry) is waiting for a sync that has not started yet. */
  pending: boolean;
  running: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  /** Due, and waiting for one of the `maxConcurrent` places. */
  queued: boolean;
  lastStart: number;
  lastRequest: number;
  /** When the first request of the burst waiting for the next sync came; null: no burst waiting. */
  burstSince: number | null;
  /** Immediate syncs left (grows back by one per minIntervalMs, up to immediateBudget). */
  immediate: number;
  immediateAt: number;
  /** Requests since the last sync started that were not expected (each may be a new change). */
  unexpected: number;
  /** Notifications still to come for changes a sync already brought; when one last came or was foreseen. */
  expected: number;
  expectedAt: number;
  /** Only expected requests wait: their check sync runs once they pause for expectedQuietMs. */
  checkPending: boolean;
  /** Consecutive failed syncs: each one doubles the wait before the retry. */
  failures: number;
  /** The last attempt found the calendar's sync already running. */
  busy: boolean;
}

const MAX_RETRY_DELAY_MS = 60_000;
/** Of the maxConcurrent places, those only lone changes take. */
const LONE_PLACES = 2;

/** Nothing but a lone change waits (no burst, no check of expected notifications). */
function isLone(slot: CalendarSlot): boolean {
  return slot.burstSince === null && !slot.checkPending;
}

/** Expected notifications no longer are after this long without any. */
const EXPECTED_FOR_MS = 10_000;
/** Calendars with nothing to do for this long are forgotten (10,000 calendars, few of them busy). */
const IDLE_SLOT_MS = 10 * 60_000;

/**
 * Turns notifications into syncs: immediate for a lone change; for a storm, a leading sync and
 * then one after the notifications pause (or after `burstMaxWaitMs`), so 1,000 notifications in
 * a second cost two or three list calls, not 1,000. A sync serves every request that came before
 * it started; a request during a sync always causes another one after it. Across calendars, at
 * most `maxConcurrent` syncs run at once, the others in the order they became due.
 */
export class SyncScheduler {
  private readonly slots = new Map<string, CalendarSlot>();
  /** Due calendars waiting for a place, oldest first: lone changes, then the others (bursts, retries). */
  private readonly lone: CalendarSlot[] = [];
  private readonly queue: CalendarSlot[] = [];
  private running = 0;
  private readonly now: () => number;
  private readonly logger: Logger;
  private stopped = false;
  private lastSweep = 0;

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
    if (slot.expected > 0 && now - slot.expectedAt <= EXPECTED_FOR_MS && this.opts.minIntervalMs > 0 && this.opts.expectedQuietMs > 0) {
      // Most likely about a change a sync already brought: checked once they pause.
      slot.expected -= 1;
      slot.expectedAt = now;
      if (slot.burstSince === null) slot.checkPending = true;
    } else {
      slot.expected = 0;
      slot.unexpected += 1;
      // Expected notifications waiting for their check: a storm is being delivered.
      const storm = slot.checkPending;
      if (storm) {
        // A new change does not wait for the check's pause, but it is part of the storm: a
        // burst (a sync once notifications pause, or after burstMaxWaitMs), not an immediate sync.
        slot.checkPending = false;
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
      }
      if (slot.burstSince === null && this.opts.minIntervalMs > 0) {
        const lone = !storm && slot.running === null && !slot.queued && slot.timer === null;
        if (!lone || !this.takeImmediate(slot, now)) slot.burstSince = now;
      }
    }
    // A waiting timer is not moved: it re-reads lastRequest when it fires (one timer per
    // calendar however many requests come, instead of a clearTimeout/setTimeout per request).
    this.pump(slot);
    this.sweep(now);
  }

  /** Resolves when no sync is running or waiting (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.slots.values()].filter((s) => s.running || s.timer || s.pending || s.queued);
      if (busy.length === 0) return;
      await Promise.all(busy.map((s) => s.running ?? new Promise((r) => setTimeout(r, 10))));
    }
  }

  /** Stops scheduling; the syncs in progress finish their current work. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.lone.length = 0;
    this.queue.length = 0;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.pending = false;
      slot.queued = false;
      slot.burstSince = null;
      slot.checkPending = false;
    }
    await Promise.all([...this.slots.values()].map((s) => s.running));
  }

  private slot(calendarId: string): CalendarSlot {
    let slot = this.slots.get(calendarId);
    if (!slot) {
      slot = {
        calendarId,
        pending: false,
        running: null,
        timer: null,
        queued: false,
        lastStart: Number.NEGATIVE_INFINITY,
        lastRequest: Number.NEGATIVE_INFINITY,
        burstSince: null,
        immediate: this.opts.immediateBudget,
        immediateAt: this.now(),
        unexpected: 0,
        expected: 0,
        expectedAt: Number.NEGATIVE_INFINITY,
        checkPending: false,
        failures: 0,
        busy: false,
      };
      this.slots.set(calendarId, slot);
    }
    return slot;
  }

  /** Takes one of the calendar's immediate syncs, if it has one left. */
  private takeImmediate(slot: CalendarSlot, now: number): boolean {
    const { minIntervalMs, immediateBudget } = this.opts;
    slot.immediate = Math.min(immediateBudget, slot.immediate + (now - slot.immediateAt) / minIntervalMs);
    slot.immediateAt = now;
    if (slot.immediate < 1) return false;
    slot.immediate -= 1;
    return true;
  }

  /**
   * When the waiting sync may start. Requests only ever move it later (lastRequest grows,
   * burstSince and lastStart stay put while waiting), so a timer armed for an earlier due time
   * never fires too late: it recomputes and re-arms.
   */
  private dueAt(slot: CalendarSlot): number {
    const { minIntervalMs, burstQuietMs, burstMaxWaitMs } = this.opts;
    if (slot.failures > 0) return slot.lastStart + Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_BUSY_RETRY_MS, minIntervalMs) * 2 ** slot.failures);
    if (slot.busy) return slot.lastStart + Math.max(MIN_BUSY_RETRY_MS, minIntervalMs);
    if (slot.checkPending) return Math.max(slot.lastStart + minIntervalMs, slot.lastRequest + this.opts.expectedQuietMs);
    if (slot.burstSince === null) return this.now();
    return Math.max(slot.lastStart + minIntervalMs, Math.min(slot.lastRequest + burstQuietMs, slot.burstSince + burstMaxWaitMs));
  }

  private pump(slot: CalendarSlot): void {
    if (this.stopped || !slot.pending || slot.running || slot.timer || slot.queued) return;
    const wait = this.dueAt(slot) - this.now();
    if (wait > 0) {
      slot.timer = setTimeout(() => {
        slot.timer = null;
        this.pump(slot);
      }, wait);
      return;
    }
    // A lone change waits only behind other lone changes, and has places of its own: storms
    // elsewhere (whose syncs wait for a pause anyway) do not hold up a person's edit on a quiet
    // calendar, not even until one of their syncs ends.
    const lone = isLone(slot) && slot.failures === 0 && !slot.busy;
    if (this.running >= (lone ? this.opts.maxConcurrent : this.burstPlaces())) {
      slot.queued = true;
      if (lone) this.lone.push(slot);
      else this.queue.push(slot);
      return;
    }
    this.start(slot);
  }

  private start(slot: CalendarSlot): void {
    // This sync serves every request so far; later ones wait for the next.
    slot.pending = false;
    slot.burstSince = null;
    slot.checkPending = false;
    slot.lastStart = this.now();
    const unexpected = slot.unexpected;
    slot.unexpected = 0;
    this.running++;
    slot.running = this.opts
      .run(slot.calendarId)
      .then(
        ({ busy, changes }) => {
          slot.failures = 0;
          slot.busy = busy;
          if (busy) {
            slot.pending = true;
            slot.unexpected += unexpected;
          } else if (changes !== undefined && changes > unexpected) {
            // Every change was brought; the notifications of those that no request announced yet
            // are still coming. Those that came while it ran are among them: they need only the check.
            let surplus = changes - unexpected;
            const during = Math.min(surplus, slot.unexpected);
            slot.unexpected -= during;
            surplus -= during;
            if (during > 0 && slot.unexpected === 0 && slot.burstSince !== null) {
              slot.burstSince = null;
              slot.checkPending = true;
            }
            slot.expected += surplus;
            slot.expectedAt = this.now();
          }
        },
        (err: unknown) => {
          // Retried with growing waits; nothing is lost meanwhile because the sync token only
          // advances after a complete sync.
          slot.failures++;
          slot.pending = true;
          slot.unexpected += unexpected;
          this.logger.error({ err, calendarId: slot.calendarId, failures: slot.failures }, 'sync failed; will retry');
        },
      )
      .finally(() => {
        slot.running = null;
        this.running--;
        this.startQueued();
        this.pump(slot);
      });
  }

  /** Places that syncs other than lone changes may take: all but LONE_PLACES (at least one). */
  private burstPlaces(): number {
    return Math.max(1, this.opts.maxConcurrent - LONE_PLACES);
  }

  /** A place came free: the calendar that has waited longest for one starts. */
  private startQueued(): void {
    while (!this.stopped && this.running < this.opts.maxConcurrent) {
      const next = this.nextQueued(this.running < this.burstPlaces());
      if (!next) return;
      next.queued = false;
      if (next.pending && !next.running) this.start(next);
    }
  }

  /**
   * The next calendar to get a place: the oldest lone change; one that became a burst while it
   * waited (more requests came: a storm's leading sync) moves over to the bursts' queue, so a
   * thousand storms starting at once do not hold up a quiet calendar's change. Only lone
   * changes when the place is one of theirs (`any` false).
   */
  private nextQueued(any: boolean): CalendarSlot | undefined {
    for (let slot = this.lone.shift(); slot; slot = this.lone.shift()) {
      if (isLone(slot)) return slot;
      this.queue.push(slot);
    }
    return any ? this.queue.shift() : undefined;
  }

  /** Forgets calendars that have had nothing to do for a while; their budget would be full anyway. */
  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_SLOT_MS) return;
    this.lastSweep = now;
    for (const [calendarId, s] of this.slots) {
      if (!s.pending && !s.running && !s.timer && !s.queued && s.failures === 0 && now - Math.max(s.lastRequest, s.lastStart) > IDLE_SLOT_MS) this.slots.delete(calendarId);
    }
  }
}
