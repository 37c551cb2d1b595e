import { LockTimeoutError, type AdvisoryLocks, type EntityManager } from '@calsync/db';
import { GoogleApiError, type CalendarRef, type GoogleCalendarGateway, type ListEventsOptions } from '@calsync/google';
import { BusyError, NotConnectedError } from '../errors.ts';
import { fromGoogleEvent, isCancelledStub, type CancelledEventStub } from '../event/google.ts';
import type { GoogleEventFields } from '../event/shape.ts';
import { cancelEventsAbsentFrom, cancelGoogleEvents, upsertGoogleEventsCounted } from '../event/store.ts';
import type { ChangePublisher } from '../changes.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { deleteSeries, deleteSeriesAbsentFrom, seriesFromGoogle, upsertSeries } from '../series/store.ts';
import { markSyncStarted, saveSyncToken } from './sync-state-store.ts';

/** What an occurrences' listing did. */
interface Listed {
  /** Events (and deletions) Google's occurrences listing brought, changed locally or not. */
  reported: number;
  changed: number;
  deleted: number;
  pages: number;
  nextSyncToken: string;
  /** An occurrence of a recurring series was among the changes: the series' own listing follows. */
  recurringTouched: boolean;
}

export interface SyncResult {
  /** Changes Google's occurrences listing brought (every event, for a full listing), ours echoing back included. */
  reported: number;
  /** Events inserted or changed locally. */
  changed: number;
  /** Events newly marked cancelled locally. */
  deleted: number;
  /** True when the whole calendar was listed (no token yet, asked for, or the token expired). */
  fullSync: boolean;
  /** List calls made. */
  pages: number;
}

export type SyncKind = 'full' | 'incremental';

/** Why a sync listed the whole calendar: asked for, no cursor yet, or Google expired the cursor (410). */
export type FullSyncReason = 'requested' | 'no_token' | 'token_expired';

export interface SyncEvent {
  calendarId: string;
  result: SyncResult;
  /** Set when the sync was a full listing. */
  fullSyncReason: FullSyncReason | undefined;
  durationMs: number;
}

export interface SyncErrorEvent {
  calendarId: string;
  /** The kind of listing under way when it failed. */
  kind: SyncKind;
  error: unknown;
  durationMs: number;
}

/** Told about every sync that ran (metrics); a sync that found the calendar busy did not run. */
export interface SyncObserver {
  onSync?(event: SyncEvent): void;
  onSyncError?(event: SyncErrorEvent): void;
}

export interface SyncServiceDeps {
  em: EntityManager;
  google: GoogleCalendarGateway;
  locks: AdvisoryLocks;
  logger?: Logger;
  /** Google's maximum page size; fewer calls for big calendars. */
  pageSize?: number;
  /** How long an explicit sync waits for a running one to finish. */
  lockWaitMs?: number;
  observer?: SyncObserver;
  /** Told when a sync changed the local copy, so open pages refresh. */
  changes?: ChangePublisher;
}

/**
 * Brings a calendar's rows in line with Google: incremental with the stored sync token, or a full
 * listing when there is none or Google says it expired (410). Pages are committed one by one and
 * the new token is saved last, so a crash at any point re-syncs from the old token and the
 * idempotent upserts make the repeat harmless. One sync per calendar at a time across all
 * processes (advisory lock).
 */
export class SyncService {
  private readonly logger: Logger;

  constructor(private readonly deps: SyncServiceDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  /** Syncs now, waiting for a sync already running elsewhere to finish first. */
  async sync(calendarId: string, opts: { full?: boolean } = {}): Promise<SyncResult> {
    try {
      return await this.deps.locks.run(lockName(calendarId), () => this.runLocked(calendarId, opts.full ?? false), {
        timeoutMs: this.deps.lockWaitMs ?? 60_000,
      });
    } catch (err) {
      if (err instanceof LockTimeoutError) throw new BusyError('Another sync of this calendar is still running; try again shortly.', { cause: err });
      throw err;
    }
  }

  /**
   * For notifications: syncs unless a sync of this calendar is running right now (in this or
   * another process); then `ran` is false and the caller must try again after it, because the
   * running sync may have listed before the change it was told about.
   */
  async syncIfIdle(calendarId: string): Promise<{ ran: false } | { ran: true; result: SyncResult }> {
    const outcome = await this.deps.locks.tryRun(lockName(calendarId), () => this.runLocked(calendarId, false));
    return outcome.acquired ? { ran: true, result: outcome.value } : { ran: false };
  }

  private async runLocked(calendarId: string, full: boolean): Promise<SyncResult> {
    const em = this.deps.em.fork();
    const start = await markSyncStarted(em, calendarId);
    if (!start) throw new NotConnectedError(calendarId);
    const { startedAt, syncToken, seriesSyncToken } = start;
    const ref: CalendarRef = { calendarId, subject: start.subject };
    const t0 = performance.now();
    let kind: SyncKind = syncToken && !full ? 'incremental' : 'full';
    let fullSyncReason: FullSyncReason | undefined = kind === 'full' ? (full ? 'requested' : 'no_token') : undefined;
    let result: Listed & { fullSync: boolean };
    let series: { nextSyncToken: string; pages: number } | undefined;
    try {
      if (syncToken && !full) {
        try {
          result = await this.incremental(ref, syncToken);
        } catch (err) {
          if (!(err instanceof GoogleApiError && err.kind === 'sync_token_expired')) throw err;
          this.logger.warn({ calendarId }, 'sync token expired (410): listing the whole calendar');
          kind = 'full';
          fullSyncReason = 'token_expired';
          result = await this.full(ref, startedAt);
        }
      } else {
        result = await this.full(ref, startedAt);
      }
      // The series' rules, only when the listing had occurrences of a series (one more listing
      // then, none otherwise): in full with a full listing or without a series cursor, else
      // incrementally. Google cannot list only the series: their listing brings every one-off
      // event again, which doubled the full sync of a calendar without any series.
      let seriesSyncTokenAfter: string | null | undefined;
      if (result.recurringTouched) {
        series = await this.listSeries(ref, result.fullSync ? undefined : (seriesSyncToken ?? undefined), startedAt);
        seriesSyncTokenAfter = series.nextSyncToken;
      } else if (result.fullSync) {
        // No live occurrence of any series: the series we knew are gone. Without a cursor, the
        // next sync that brings an occurrence lists the series in full.
        await deleteSeriesAbsentFrom(this.deps.em.fork(), calendarId, new Set(), startedAt);
        seriesSyncTokenAfter = null;
      }
      await saveSyncToken(em, calendarId, { syncToken: result.nextSyncToken, seriesSyncToken: seriesSyncTokenAfter }, result.fullSync);
    } catch (error) {
      this.notify((o) => o.onSyncError?.({ calendarId, kind, error, durationMs: performance.now() - t0 }));
      throw error;
    }
    const summary: SyncResult = { reported: result.reported, changed: result.changed, deleted: result.deleted, fullSync: result.fullSync, pages: result.pages + (series?.pages ?? 0) };
    const durationMs = performance.now() - t0;
    this.logger.info({ calendarId, ...summary, ms: Math.round(durationMs) }, 'calendar synced');
    this.notify((o) => o.onSync?.({ calendarId, result: summary, fullSyncReason, durationMs }));
    this.announce(calendarId, summary.changed, summary.deleted);
    return summary;
  }

  /** A failing observer must never turn a sync into a failure. */
  private notify(call: (observer: SyncObserver) => void): void {
    if (!this.deps.observer) return;
    try {
      call(this.deps.observer);
    } catch (err) {
      this.logger.warn({ err }, 'sync observer failed');
    }
  }

  /** Like observers, a failing listener must never fail the sync that already committed. */
  private announce(calendarId: string, changed: number, deleted: number): void {
    try {
      this.deps.changes?.publish(calendarId, { changed, deleted, source: 'sync' });
    } catch (err) {
      this.logger.warn({ err }, 'change listener failed');
    }
  }

  private async incremental(ref: CalendarRef, syncToken: string): Promise<Listed & { fullSync: boolean }> {
    const listed = await this.applyAllPages(ref, { syncToken }, 'an incremental listing');
    return { ...listed, fullSync: false };
  }

  private async full(ref: CalendarRef, startedAt: Date): Promise<Listed & { fullSync: boolean }> {
    const { calendarId } = ref;
    // Only ids are kept across pages (the events themselves are written page by page).
    const present = new Set<string>();
    const listed = await this.applyAllPages(ref, { showDeleted: false }, 'a full listing', (events) => {
      for (const e of events) if (!isCancelledStub(e) && e.status !== 'cancelled') present.add(e.googleEventId);
    });
    const ghosts = await cancelEventsAbsentFrom(this.deps.em.fork(), calendarId, present, startedAt);
    if (ghosts.length) this.logger.info({ calendarId, count: ghosts.length }, 'cancelled local events Google no longer has');
    return { ...listed, deleted: listed.deleted + ghosts.length, fullSync: true };
  }

  /**
   * Lists the calendar's occurrences page by page (recurring series expanded: `singleEvents`)
   * and applies each page in its own transaction (`onPage` sees each page first); returns the
   * totals, the sync token Google ends the listing with, and whether any occurrence of a series
   * changed.
   */
  private async applyAllPages(
    ref: CalendarRef,
    opts: Pick<ListEventsOptions, 'syncToken' | 'showDeleted'>,
    listing: string,
    onPage?: (events: Array<GoogleEventFields | CancelledEventStub>) => void,
  ): Promise<Listed> {
    const totals = { reported: 0, changed: 0, deleted: 0, pages: 0, recurringTouched: false };
    let pageToken: string | undefined;
    for (;;) {
      const page = await this.listPage(ref, { ...opts, singleEvents: true, pageToken, maxResults: this.deps.pageSize });
      totals.pages++;
      totals.reported += page.events.length;
      onPage?.(page.events);
      if (!totals.recurringTouched) totals.recurringTouched = page.events.some((e) => Boolean(e.recurringEventId));
      const counts = await this.applyPage(ref.calendarId, page.events);
      totals.changed += counts.changed;
      totals.deleted += counts.deleted;
      if (page.nextPageToken) {
        pageToken = page.nextPageToken;
        continue;
      }
      if (!page.nextSyncToken) throw new GoogleApiError('invalid', `Google ended ${listing} without nextSyncToken.`, { operation: 'events.list' });
      return { ...totals, nextSyncToken: page.nextSyncToken };
    }
  }

  /**
   * The series' own listing (not expanded): their rules, for getEvent and for edits of "this and
   * following" or "all" occurrences. In full after `startedAt` (series Google no longer has are
   * forgotten), or incrementally from `syncToken` (410: in full).
   */
  private async listSeries(ref: CalendarRef, syncToken: string | undefined, startedAt: Date): Promise<{ nextSyncToken: string; pages: number }> {
    const present = new Set<string>();
    let pages = 0;
    let pageToken: string | undefined;
    try {
      for (;;) {
        const page = await this.deps.google.listEvents(ref, { ...(syncToken ? { syncToken } : { showDeleted: false }), pageToken, maxResults: this.deps.pageSize });
        pages++;
        const masters = page.items.flatMap((e) => seriesFromGoogle(e) ?? []);
        const gone = page.items.flatMap((e) => (e.status === 'cancelled' && e.id && !e.recurringEventId ? [e.id] : []));
        for (const m of masters) present.add(m.googleSeriesId);
        await this.deps.em.fork().transactional(async (tx) => {
          await upsertSeries(tx, ref.calendarId, masters);
          await deleteSeries(tx, ref.calendarId, gone);
        });
        if (page.nextPageToken) {
          pageToken = page.nextPageToken;
          continue;
        }
        if (!page.nextSyncToken) throw new GoogleApiError('invalid', "Google ended the series' listing without nextSyncToken.", { operation: 'events.list' });
        if (!syncToken) await deleteSeriesAbsentFrom(this.deps.em.fork(), ref.calendarId, present, startedAt);
        return { nextSyncToken: page.nextSyncToken, pages };
      }
    } catch (err) {
      if (syncToken && err instanceof GoogleApiError && err.kind === 'sync_token_expired') return this.listSeries(ref, undefined, startedAt);
      throw err;
    }
  }

  /**
   * One page, mapped to our shape. Google's own objects (a page is up to 2,500 events) are garbage
   * once this returns, before the page's database work.
   */
  private async listPage(
    ref: CalendarRef,
    opts: ListEventsOptions,
  ): Promise<{ events: Array<GoogleEventFields | CancelledEventStub>; nextPageToken: string | null; nextSyncToken: string | null }> {
    const page = await this.deps.google.listEvents(ref, opts);
    return { events: page.items.map(fromGoogleEvent), nextPageToken: page.nextPageToken, nextSyncToken: page.nextSyncToken };
  }

  /** One page, one transaction: changed events upserted (guarded), deletions marked cancelled. */
  private async applyPage(calendarId: string, events: Array<GoogleEventFields | CancelledEventStub>): Promise<{ changed: number; deleted: number }> {
    const live: GoogleEventFields[] = [];
    const stubs: CancelledEventStub[] = [];
    for (const e of events) {
      if (isCancelledStub(e)) stubs.push(e);
      else live.push(e);
    }
    return this.deps.em.fork().transactional(async (tx) => {
      const upserted = await upsertGoogleEventsCounted(tx, calendarId, live);
      const cancelled = await cancelGoogleEvents(tx, calendarId, stubs);
      return { changed: upserted.live, deleted: cancelled.length + upserted.cancelled };
    });
  }
}

function lockName(calendarId: string): string {
  return `calsync:calendar-sync:${calendarId}`;
}
