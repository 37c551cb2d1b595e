import { randomUUID } from 'node:crypto';
import { EventEmitter, on } from 'node:events';

/** What happened to a calendar's local copy, told to whoever shows it (open web pages). */
export interface CalendarChange {
  calendarId: string;
  /** Events inserted or changed locally. 0 and 0: not known (changes may have been missed; re-read). */
  changed: number;
  /** Events newly marked cancelled locally. */
  deleted: number;
  /** `sync`: the change came from Google (a person edited the event there); `write`: through our API. */
  source: 'sync' | 'write';
  at: Date;
}

/** The one thing services need to announce a change; kept narrow so tests can pass a spy. */
export interface ChangePublisher {
  publish(calendarId: string, change: { changed: number; deleted: number; source: CalendarChange['source'] }): void;
}

const CLOSED = Symbol('closed');

/** The PostgreSQL NOTIFY channel that server processes relay calendar changes on. */
export const CALENDAR_CHANGES_CHANNEL = 'calsync_calendar_changes';

/** A change as it travels between server processes (see relayTo / receive). */
interface RelayedChange {
  v: 1;
  /** The CalendarChanges that published it: it told its own subscribers already. */
  origin: string;
  calendarId: string;
  changed: number;
  deleted: number;
  source: CalendarChange['source'];
  at: string;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function parseRelayed(message: string): RelayedChange | undefined {
  let m: unknown;
  try {
    m = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const r = m as Partial<RelayedChange>;
  const ok =
    r.v === 1 &&
    typeof r.origin === 'string' &&
    typeof r.calendarId === 'string' &&
    r.calendarId.length > 0 &&
    isCount(r.changed) &&
    isCount(r.deleted) &&
    (r.source === 'sync' || r.source === 'write') &&
    typeof r.at === 'string' &&
    !Number.isNaN(Date.parse(r.at));
  return ok ? (r as RelayedChange) : undefined;
}

/**
 * Fan-out of calendar changes from the services that make them (sync, API writes) to the
 * subscriptions that show them (open pages). In this process at once; with relayTo, to the other
 * server processes too (the composition root wires it to PostgreSQL LISTEN/NOTIFY), which hand
 * what they hear to receive().
 */
export class CalendarChanges implements ChangePublisher {
  private readonly emitter = new EventEmitter();
  private closed = false;
  /** Tells this instance's own messages apart when they come back through the relay. */
  private readonly origin = randomUUID();
  private relay: ((message: string) => void) | undefined;

  constructor() {
    // Every open page is a listener; Node's leak warning at 10 would only be noise here.
    this.emitter.setMaxListeners(0);
  }

  /** From now on every change published here is also handed to `send` for the other processes. */
  relayTo(send: (message: string) => void): void {
    this.relay = send;
  }

  publish(calendarId: string, change: { changed: number; deleted: number; source: CalendarChange['source'] }): void {
    if (this.closed || change.changed + change.deleted === 0) return;
    const event: CalendarChange = { calendarId, ...change, at: new Date() };
    this.emitter.emit(calendarId, event);
    if (this.relay) {
      const relayed: RelayedChange = { v: 1, origin: this.origin, calendarId, changed: change.changed, deleted: change.deleted, source: change.source, at: event.at.toISOString() };
      this.relay(JSON.stringify(relayed));
    }
  }

  /** A change another process published (through the relay); this instance's own, and anything malformed, are ignored. */
  receive(message: string): void {
    if (this.closed) return;
    const r = parseRelayed(message);
    if (!r || r.origin === this.origin) return;
    const event: CalendarChange = { calendarId: r.calendarId, changed: r.changed, deleted: r.deleted, source: r.source, at: new Date(r.at) };
    this.emitter.emit(r.calendarId, event);
  }

  /**
   * The relay lost messages (its connection dropped for a while): every calendar shown here may
   * have changed unannounced, so each open stream gets a change with unknown (zero) counts, on
   * which pages re-read what they show.
   */
  relayGap(): void {
    if (this.closed) return;
    const at = new Date();
    for (const name of this.emitter.eventNames()) {
      if (typeof name === 'string') this.emitter.emit(name, { calendarId: name, changed: 0, deleted: 0, source: 'sync', at } satisfies CalendarChange);
    }
  }

  /** Calls `listener` for each change of the calendar until the returned function is called. */
  subscribe(calendarId: string, listener: (change: CalendarChange) => void): () => void {
    this.emitter.on(calendarId, listener);
    return () => this.emitter.off(calendarId, listener);
  }

  /**
   * The changes of a calendar as they happen, until `signal` aborts (the page went away) or the
   * notifier closes (shutdown: ending the streams lets the server's graceful close finish instead
   * of waiting its whole grace period for long-lived connections).
   */
  async *stream(calendarId: string, signal?: AbortSignal): AsyncGenerator<CalendarChange> {
    if (this.closed) return;
    const ac = new AbortController();
    const stop = () => ac.abort();
    signal?.addEventListener('abort', stop, { once: true });
    this.emitter.once(CLOSED, stop);
    try {
      // `on` buffers events that arrive while the consumer is busy, so none is dropped.
      for await (const [change] of on(this.emitter, calendarId, { signal: ac.signal }) as AsyncIterable<[CalendarChange]>) {
        yield change;
      }
    } catch (err) {
      if (!(err instanceof Error && err.name === 'AbortError')) throw err;
    } finally {
      signal?.removeEventListener('abort', stop);
      this.emitter.off(CLOSED, stop);
    }
  }

  /** Ends every stream; later publishes are ignored. */
  close(): void {
    this.closed = true;
    this.emitter.emit(CLOSED);
  }
}
