/** events.list: full listing, incremental sync, paging cursors and sync tokens. */
import { ApiError, invalidParam } from './errors.ts';
import { matchesText, renderEvent, renderStub, type CancelledStub, type EventResource, type StoredEvent } from './event.ts';
import { randomToken } from './ids.ts';
import type { Calendar } from './store.ts';
import { isoMs } from './time.ts';

export interface ListQuery {
  maxResults: number;
  pageToken?: string;
  syncToken?: string;
  timeMinMs?: number;
  timeMaxMs?: number;
  showDeleted: boolean;
  orderBy?: 'startTime' | 'updated';
  q?: string;
  updatedMinMs?: number;
  iCalUID?: string;
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
}

interface SyncTokenInfo {
  calendarId: string;
  seq: number;
  generation: number;
  issuedMs: number;
}

export const fullSyncRequired = (): ApiError =>
  new ApiError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.', {
    domain: 'calendar',
    locationType: 'parameter',
    location: 'syncToken',
  });

export class Lister {
  private syncTokens = new Map<string, SyncTokenInfo>();
  /** Changes on reset so that page tokens from before it are refused. */
  private epoch = randomToken(6);

  constructor(private readonly opts: { now: () => number; syncTokenTtlMs?: number | undefined }) {}

  reset(): void {
    this.syncTokens.clear();
    this.epoch = randomToken(6);
  }

  list(cal: Calendar, q: ListQuery, viewer: string): EventsPage {
    const cursor = q.pageToken !== undefined ? this.decodeCursor(q.pageToken, cal) : this.firstCursor(cal, q);
    const incremental = cursor.since !== undefined;
    const accept = incremental ? () => true : fullFilter(q);
    const items: (EventResource | CancelledStub)[] = [];
    let last: StoredEvent | undefined;
    let more = false;
    // The first page fixes the order; later pages follow their cursor even if orderBy is not repeated.
    const after = cursor.after;
    for (const ev of Array.isArray(after) ? startOrder(cal, after) : logOrder(cal, after)) {
      if (!accept(ev)) continue;
      if (items.length === q.maxResults) {
        more = true;
        break;
      }
      items.push(ev.body.status === 'cancelled' ? renderStub(ev) : renderEvent(ev, viewer));
      last = ev;
    }
    const page: EventsPage = {
      kind: 'calendar#events',
      etag: `"p${cal.seq.toString(36)}${cal.updatedMs.toString(36)}"`,
      summary: cal.id,
      updated: isoMs(cal.updatedMs),
      timeZone: 'UTC',
      accessRole: 'owner',
      defaultReminders: [],
      items,
    };
    if (more && last) {
      const next: PageCursor['after'] = Array.isArray(after) ? [last.startMs, last.id] : last.changeSeq;
      page.nextPageToken = Buffer.from(JSON.stringify({ ...cursor, after: next })).toString('base64url');
    } else {
      page.nextSyncToken = this.issueSyncToken(cal, cursor.snap);
    }
    return page;
  }

  private firstCursor(cal: Calendar, q: ListQuery): PageCursor {
    const cursor: PageCursor = { epoch: this.epoch, cal: cal.id, snap: cal.seq, after: q.orderBy === 'startTime' ? [-Infinity, ''] : 0 };
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
      cursor.since = info.seq;
      cursor.after = info.seq;
    }
    return cursor;
  }

  private decodeCursor(token: string, cal: Calendar): PageCursor {
    let c: unknown;
    try {
      c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      c = undefined;
    }
    if (!isCursor(c) || c.epoch !== this.epoch || c.cal !== cal.id) throw invalidParam('pageToken', 'Invalid page token value.');
    if (Array.isArray(c.after) && c.after[0] === null) c.after[0] = -Infinity;
    return c;
  }

  private issueSyncToken(cal: Calendar, seq: number): string {
    // Google's tokens are opaque base64; a registry lets reset/expire/ttl invalidate them exactly.
    const token = `C${randomToken(24)}`;
    this.syncTokens.set(token, { calendarId: cal.id, seq, generation: cal.tokenGeneration, issuedMs: this.opts.now() });
    return token;
  }
}

function isCursor(c: unknown): c is PageCursor {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  const afterOk =
    typeof o.after === 'number' ||
    (Array.isArray(o.after) && o.after.length === 2 && (typeof o.after[0] === 'number' || o.after[0] === null) && typeof o.after[1] === 'string');
  return typeof o.epoch === 'string' && typeof o.cal === 'string' && typeof o.snap === 'number' && afterOk && (o.since === undefined || typeof o.since === 'number');
}

function fullFilter(q: ListQuery): (ev: StoredEvent) => boolean {
  const needle = q.q?.toLowerCase();
  return (ev) => {
    if (ev.body.status === 'cancelled') {
      // Google: with updatedMin, deletions since then are included regardless of showDeleted.
      const recentDeletion = q.updatedMinMs !== undefined && ev.updatedMs >= q.updatedMinMs;
      if (!q.showDeleted && !recentDeletion) return false;
    }
    if (q.timeMinMs !== undefined && !(ev.endMs > q.timeMinMs)) return false;
    if (q.timeMaxMs !== undefined && !(ev.startMs < q.timeMaxMs)) return false;
    if (q.updatedMinMs !== undefined && ev.updatedMs < q.updatedMinMs) return false;
    if (q.iCalUID !== undefined && `${ev.id}@google.com` !== q.iCalUID) return false;
    if (needle !== undefined && !matchesText(ev, needle)) return false;
    return true;
  };
}

/** Live change-log entries after `afterSeq`: last-modified order, found by binary search. */
function* logOrder(cal: Calendar, afterSeq: number): Generator<StoredEvent> {
  const log = cal.log;
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.seq <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  // Reading log.length each step: entries appended while paging are still visited (never lost).
  for (let i = lo; i < log.length; i++) {
    const entry = log[i]!;
    if (entry.seq === entry.ev.changeSeq) yield entry.ev;
  }
}

const compareStart = (a: StoredEvent, startMs: number, id: string): number => a.startMs - startMs || (a.id < id ? -1 : a.id > id ? 1 : 0);

/** Events sorted by start, cached until the calendar next changes. */
function* startOrder(cal: Calendar, after: [number, string]): Generator<StoredEvent> {
  if (cal.byStart?.seq !== cal.seq) {
    const list = [...cal.events.values()].sort((a, b) => compareStart(a, b.startMs, b.id));
    cal.byStart = { seq: cal.seq, list };
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
  for (let i = lo; i < list.length; i++) yield list[i]!;
}
