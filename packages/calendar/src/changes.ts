import { EventEmitter, on } from 'node:events';

/** What happened to a calendar's local copy, told to whoever shows it (open web pages). */
export interface CalendarChange {
  calendarId: string;
  /** Events inserted or changed locally. */
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

/**
 * In-process fan-out of calendar changes from the services that make them (sync, API writes) to
 * the subscriptions that show them. Only this process's changes are seen: a sync that ran in
 * another server process is not announced here (see the README's notes on cross-process fan-out).
 */
export class CalendarChanges implements ChangePublisher {
  private readonly emitter = new EventEmitter();
  private closed = false;

  constructor() {
    // Every open page is a listener; Node's leak warning at 10 would only be noise here.
    this.emitter.setMaxListeners(0);
  }

  publish(calendarId: string, change: { changed: number; deleted: number; source: CalendarChange['source'] }): void {
    if (this.closed || change.changed + change.deleted === 0) return;
    const event: CalendarChange = { calendarId, ...change, at: new Date() };
    this.emitter.emit(calendarId, event);
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
