/** events.list and events.instances: full listing, incremental sync, paging cursors and sync tokens. */
import { ApiError, invalidParam } from './errors.ts';
import { matchesText, renderEvent, renderStub, type CancelledStub, type EventResource, type StoredEvent } from './event.ts';
import { randomToken } from './ids.ts';
import { seriesRule, virtualInstance } from './instances.ts';
import { isBounded, type Expander } from './recurrence.ts';
import type { Calendar, Store } from './store.ts';
import { isoMs } from './time.ts';

export interface ListQuery {
  maxResults: number;
  pageToken?: string;
  syncToken?: string;
  timeMinMs?: number;
  timeMaxMs?: number;
  showDeleted: boolean;
  /** Series expanded into their occurrences; the series themselves are not listed. */
  singleEvents: boolean;
  orderBy?: 'startTime' | 'updated';
  q?: string;
  updatedMinMs?: number;
  iCalUID?: string;
}

export interface InstancesQuery {
  maxResults: number;
  pageToken?: string;
  timeMinMs?: number;
  timeMaxMs?: number;
  originalStartMs?: number;
  showDeleted: boolean;
}

export interface EventsPage {
  kind: 'calendar#events';
  etag: string;
  summary: string;
  updated: string;
  timeZone: 'UTC';
  accessRole: 'owner';
  defaultReminders: never[];
  nextPageToken?: string;
  nextSyncToken?: string;
  items: (EventResource | CancelledStub)[];
}

/**
 * Opaque to clients. `snap` is the calendar's change seq when the first page was served: it
 * becomes the final sync token, so whatever changes while the client pages comes again next sync.
 */
interface PageCursor {
  epoch: string;
  cal: string;
  snap: number;
  /** Incremental sync baseline, absent for a full listing. */
  since?: number;
  /** Last change-log seq served (log order) or [startMs, id] (startTime order). */
  after: number | [number, string];
  /** Log order, singleEvents: the series at `after` was served up to this original start. */
  sub?: number;
  /** The first page fixes the expansion: series expanded, up to this instant. */
  single?: boolean;
  until?: number;
}

interface SyncTokenInfo {
  calendarId: string;
  seq: number;
  generation: number;
  issuedMs: number;
  single: boolean;
}

/** One listed item: an event (or occurrence) and where it sits in the listing's order. */
interface Item {
  ev: StoredEvent;
  seq: number;
  sub?: number;
}

export const fullSyncRequired = (): ApiError =>
  new ApiError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.', {
    domain: 'calendar',
    locationType: 'parameter',
    location: 'syncToken',
  });

export interface ListerOptions {
  now: () => number;
  syncTokenTtlMs?: number | undefined;
  store: Store;
  expander: Expander;
}

export class Lister {
  private syncTokens = new Map<string, SyncTokenInfo>();
  /** Changes on reset so that page tokens from before it are refused. */
  private epoch = randomToken(6);

  constructor(private readonly opts: ListerOptions) {}

  reset(): void {
    this.syncTokens.clear();
    this.epoch = randomToken(6);
  }

  /** How far series are expanded: timeMax when asked, else the horizon from now. */
  private expansionBound(q: { timeMaxMs?: number }): number {
    return q.timeMaxMs ?? this.opts.now() + this.opts.expander.opts.horizonMs;
  }

  list(cal: Calendar, q: ListQuery, viewer: string): EventsPage {
    const cursor = q.pageToken !== undefined ? this.decodeCursor(q.pageToken, cal) : this.firstCursor(cal, q);
    const incremental = cursor.since !== undefined;
    const single = cursor.single ?? false;
    const until = cursor.until ?? this.expansionBound(q);
    const accept = incremental ? () => true : this.fullFilter(cal, q, single);
    const items: (EventResource | CancelledStub)[] = [];
    let last: Item | undefined;
    let more = false;
    // The first page fixes the order; later pages follow their cursor even if orderBy is not repeated.
    const after = cursor.after;
    const source = Array.isArray(after)
      ? this.startOrder(cal, after, until)
      : this.logOrder(cal, after, cursor.sub, single ? { until, since: cursor.since } : undefined);
    for (const item of source) {
      if (!accept(item.ev)) continue;
      if (items.length === q.maxResults) {
        more = true;
        break;
      }
      items.push(item.ev.body.status === 'cancelled' ? renderStub(item.ev) : renderEvent(item.ev, viewer));
      last = item;
    }
    const page = this.page(cal, items);
    if (more && last) {
      const next: PageCursor = { ...cursor, after: Array.isArray(after) ? [last.ev.startMs, last.ev.id] : last.seq };
      if (last.sub !== undefined) next.sub = last.sub;
      else delete next.sub;
      page.nextPageToken = encode(next);
    } else {
      page.nextSyncToken = this.issueSyncToken(cal, cursor.snap, single);
    }
    return page;
  }

  /**
   * events.instances: one series' occurrences in original-start order, modified and cancelled ones
   * included (cancelled only with showDeleted). No sync token: instances are not synced this way.
   */
  instances(cal: Calendar, master: StoredEvent, q: InstancesQuery, viewer: string): EventsPage {
    let afterMs = -Infinity;
    if (q.pageToken !== undefined) {
      const c = decode(q.pageToken);
      if (!isInstancesCursor(c) || c.epoch !== this.epoch || c.cal !== cal.id || c.series !== master.id) {
        throw invalidParam('pageToken', 'Invalid page token value.');
      }
      afterMs = c.after;
    }
    const until = q.originalStartMs ?? this.expansionBound(q);
    const byStart = new Map<number, StoredEvent>();
    for (const ms of this.opts.store.occurrences(cal, master, until)) byStart.set(ms, virtualInstance(master, ms));
    for (const [ms, ev] of cal.exceptions.get(master.id) ?? []) byStart.set(ms, ev);
    const ordered = [...byStart.entries()].filter(([ms]) => ms > afterMs).sort((a, b) => a[0] - b[0]);
    const items: (EventResource | CancelledStub)[] = [];
    let last: number | undefined;
    let more = false;
    for (const [ms, ev] of ordered) {
      if (q.originalStartMs !== undefined && ms !== q.originalStartMs) continue;
      if (ev.body.status === 'cancelled' && !q.showDeleted) continue;
      // Unlike events.list, Google documents instances' timeMin as inclusive.
      if (q.timeMinMs !== undefined && !(ev.endMs >= q.timeMinMs)) continue;
      if (q.timeMaxMs !== undefined && !(ev.startMs < q.timeMaxMs)) continue;
      if (items.length === q.maxResults) {
        more = true;
        break;
      }
      items.push(ev.body.status === 'cancelled' ? renderStub(ev) : renderEvent(ev, viewer));
      last = ms;
    }
    const page = this.page(cal, items);
    if (more && last !== undefined) page.nextPageToken = encode({ epoch: this.epoch, cal: cal.id, series: master.id, after: last });
    return page;
  }

  private page(cal: Calendar, items: (EventResource | CancelledStub)[]): EventsPage {
    return {
      kind: 'calendar#events',
      etag: `"p${cal.seq.toString(36)}${cal.updatedMs.toString(36)}"`,
      summary: cal.id,
      updated: isoMs(cal.updatedMs),
      timeZone: 'UTC',
      accessRole: 'owner',
      defaultReminders: [],
      items,
    };
  }

  private firstCursor(cal: Calendar, q: ListQuery): PageCursor {
    const cursor: PageCursor = { epoch: this.epoch, cal: cal.id, snap: cal.seq, after: q.orderBy === 'startTime' ? [-Infinity, ''] : 0 };
    if (q.singleEvents) {
      cursor.single = true;
      cursor.until = this.expansionBound(q);
    }
    if (q.syncToken !== undefined) {
      const info = this.syncTokens.get(q.syncToken);
      const ttl = this.opts.syncTokenTtlMs;
      if (
        !info ||
        info.calendarId !== cal.id ||
        info.generation !== cal.tokenGeneration ||
        (ttl !== undefined && this.opts.now() - info.issuedMs > ttl)
      ) {
        throw fullSyncRequired();
      }
      // Google calls a different singleEvents "undefined behavior"; refusing it shows the client bug at once.
      if (info.single !== q.singleEvents) {
        throw invalidParam('singleEvents', 'singleEvents must be the same as in the full sync that issued this sync token.');
      }
      cursor.since = info.seq;
      cursor.after = info.seq;
    }
    return cursor;
  }

  private decodeCursor(token: string, cal: Calendar): PageCursor {
    const c = decode(token);
    if (!isCursor(c) || c.epoch !== this.epoch || c.cal !== cal.id) throw invalidParam('pageToken', 'Invalid page token value.');
    if (Array.isArray(c.after) && c.after[0] === null) c.after[0] = -Infinity;
    return c;
  }

  private issueSyncToken(cal: Calendar, seq: number, single: boolean): string {
    // Google's tokens are opaque base64; a registry lets reset/expire/ttl invalidate them exactly.
    const token = `C${randomToken(24)}`;
    this.syncTokens.set(token, { calendarId: cal.id, seq, generation: cal.tokenGeneration, issuedMs: this.opts.now(), single });
    return token;
  }

  private fullFilter(cal: Calendar, q: ListQuery, single: boolean): (ev: StoredEvent) => boolean {
    const needle = q.q?.toLowerCase();
    return (ev) => {
      if (ev.body.status === 'cancelled') {
        // Google: with updatedMin, deletions since then are included regardless of showDeleted.
        const recentDeletion = q.updatedMinMs !== undefined && ev.updatedMs >= q.updatedMinMs;
        // "Cancelled instances of recurring events (but not the underlying recurring event) will still
        // be included if showDeleted and singleEvents are both False."
        const cancelledOccurrence = !single && ev.recurringEventId !== undefined && cal.events.get(ev.recurringEventId)?.body.status !== 'cancelled';
        if (!q.showDeleted && !recentDeletion && !cancelledOccurrence) return false;
      }
      const [startMs, endMs] = single ? [ev.startMs, ev.endMs] : this.span(cal, ev);
      if (q.timeMinMs !== undefined && !(endMs > q.timeMinMs)) return false;
      if (q.timeMaxMs !== undefined && !(startMs < q.timeMaxMs)) return false;
      if (q.updatedMinMs !== undefined && ev.updatedMs < q.updatedMinMs) return false;
      if (q.iCalUID !== undefined && `${ev.recurringEventId ?? ev.id}@google.com` !== q.iCalUID) return false;
      if (needle !== undefined && !matchesText(ev, needle)) return false;
      return true;
    };
  }

  /** A series (singleEvents=false) is in a time window when any of its occurrences is. */
  private span(cal: Calendar, ev: StoredEvent): [number, number] {
    const rule = seriesRule(ev);
    if (!rule) return [ev.startMs, ev.endMs];
    if (!isBounded(rule.recurrence)) return [ev.startMs, Infinity];
    const starts = this.opts.store.occurrences(cal, ev, Number.MAX_SAFE_INTEGER / 2, rule);
    const lastStart = Math.max(ev.startMs, starts[starts.length - 1] ?? ev.startMs);
    return [ev.startMs, lastStart + (ev.endMs - ev.startMs)];
  }

  /**
   * Live change-log entries after `afterSeq` (last-modified order, found by binary search). With
   * `expand`, a series stands for its occurrences (positioned by original start within its entry).
   */
  private *logOrder(cal: Calendar, afterSeq: number, afterSub: number | undefined, expand: { until: number; since: number | undefined } | undefined): Generator<Item> {
    const log = cal.log;
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid]!.seq < afterSeq) lo = mid + 1;
      else hi = mid;
    }
    // Reading log.length each step: entries appended while paging are still visited (never lost).
    for (let i = lo; i < log.length; i++) {
      const entry = log[i]!;
      if (entry.seq !== entry.ev.changeSeq) continue;
      const resumeIn = entry.seq === afterSeq ? afterSub : undefined;
      if (entry.seq === afterSeq && afterSub === undefined) continue;
      const ev = entry.ev;
      if (expand && ev.recurringEventId === undefined && (seriesRule(ev) !== undefined || cal.ruleHistory.has(ev.id))) {
        const slots = this.seriesSlots(cal, ev, expand.until, expand.since);
        if (slots.self && resumeIn === undefined) yield { ev: slots.self, seq: entry.seq, sub: SELF_SUB };
        // Occurrences are built only from the resume point on: a long series is paged, not rebuilt per page.
        let k = resumeIn === undefined ? 0 : firstAfter(slots.starts, resumeIn);
        for (; k < slots.starts.length; k++) {
          const ms = slots.starts[k]!;
          const source = slots.cancelled?.has(ms) ? slots.cancelledMaster! : ev;
          yield { ev: virtualInstance(source, ms), seq: entry.seq, sub: ms };
        }
      } else if (resumeIn === undefined) {
        yield { ev, seq: entry.seq };
      }
    }
  }

  /**
   * A series as occurrences, in original-start order: the unmodified ones (cancelled with the series
   * when it was deleted). In an incremental sync also every occurrence the version the client last saw
   * had and this one has not (a new UNTIL, a new time, a deleted series), as cancelled occurrences.
   * Modified occurrences are stored events with their own change-log entries. `self`: the event is
   * listed itself, when it no longer recurs, or (cancelled) when the client may hold it as a single event.
   */
  private seriesSlots(
    cal: Calendar,
    master: StoredEvent,
    until: number,
    since: number | undefined,
  ): { starts: number[]; cancelled?: Set<number>; cancelledMaster?: StoredEvent; self?: StoredEvent } {
    const store = this.opts.store;
    const recurs = seriesRule(master) !== undefined;
    const current = store.occurrences(cal, master, until);
    if (since === undefined) return recurs ? { starts: current } : { starts: [], self: master };
    const cancelledMaster = { ...master, body: { ...master.body, status: 'cancelled' as const } };
    let self: StoredEvent | undefined;
    if (!recurs) self = master;
    else if ((master.createdSeq ?? 0) <= since && (store.firstRuleSeq(cal, master.id) ?? 0) > since) self = cancelledMaster;
    const live = master.body.status !== 'cancelled' ? current : [];
    const seen = store.ruleAt(cal, master.id, since);
    const kept = new Set(live);
    const dropped = seen ? store.occurrences(cal, master, until, seen).filter((ms) => !kept.has(ms)) : [];
    const out: { starts: number[]; cancelled?: Set<number>; cancelledMaster?: StoredEvent; self?: StoredEvent } = { starts: live };
    if (self) out.self = self;
    if (dropped.length > 0) {
      out.starts = [...live, ...dropped].sort((a, b) => a - b);
      out.cancelled = new Set(dropped);
      out.cancelledMaster = cancelledMaster;
    }
    return out;
  }

  /** Events and occurrences sorted by start (orderBy=startTime), cached until the calendar next changes. */
  private *startOrder(cal: Calendar, after: [number, string], until: number): Generator<Item> {
    const key = `${cal.seq}:${until}`;
    if (cal.byStart?.key !== key) {
      const list: StoredEvent[] = [];
      for (const ev of cal.events.values()) {
        if (seriesRule(ev) === undefined) list.push(ev);
        else for (const ms of this.opts.store.occurrences(cal, ev, until)) list.push(virtualInstance(ev, ms));
      }
      list.sort((a, b) => compareStart(a, b.startMs, b.id));
      cal.byStart = { key, list };
    }
    const list = cal.byStart.list;
    const [startMs, id] = after;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareStart(list[mid]!, startMs, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length; i++) yield { ev: list[i]!, seq: 0 };
  }
}

const encode = (c: object): string => Buffer.from(JSON.stringify(c)).toString('base64url');

function decode(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isCursor(c: unknown): c is PageCursor {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  const afterOk =
    typeof o.after === 'number' ||
    (Array.isArray(o.after) && o.after.length === 2 && (typeof o.after[0] === 'number' || o.after[0] === null) && typeof o.after[1] === 'string');
  const optionalNumber = (v: unknown): boolean => v === undefined || typeof v === 'number';
  return (
    typeof o.epoch === 'string' &&
    typeof o.cal === 'string' &&
    typeof o.snap === 'number' &&
    afterOk &&
    optionalNumber(o.since) &&
    optionalNumber(o.sub) &&
    optionalNumber(o.until) &&
    (o.single === undefined || typeof o.single === 'boolean')
  );
}

function isInstancesCursor(c: unknown): c is { epoch: string; cal: string; series: string; after: number } {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return typeof o.epoch === 'string' && typeof o.cal === 'string' && typeof o.series === 'string' && typeof o.after === 'number';
}

/** Position of a series' own entry, before its occurrences, in a log-order cursor. */
const SELF_SUB = Number.MIN_SAFE_INTEGER;

/** Index of the first value greater than `ms` in an ascending list. */
function firstAfter(sorted: number[], ms: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const compareStart = (a: StoredEvent, startMs: number, id: string): number => a.startMs - startMs || (a.id < id ? -1 : a.id > id ? 1 : 0);
