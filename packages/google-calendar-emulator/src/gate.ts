/** Every counted Google call passes here: stats, in-flight tracking, latency and injected faults. */
import type { Request, Response } from 'express';
import { ApiError, sendApiError } from './errors.ts';
import type { CallTarget, FaultAction, Faults } from './faults.ts';
import type { Stats } from './stats.ts';

export interface GateCall extends CallTarget {
  /** Concurrency key: `${method} ${calendarId}`, or the bare method for calls without a calendar. */
  key: string;
  /** `oauth`: the token endpoint, whose errors are `{error, error_description}`, not the API envelope. */
  style: 'api' | 'oauth';
}

interface Sleep {
  timer: NodeJS.Timeout;
  resolve: (completed: boolean) => void;
}

export class Gate {
  private sleeps = new Set<Sleep>();
  private closed = false;

  constructor(
    private readonly stats: Stats,
    private readonly faults: Faults,
    /** Added to every counted call; changed at run time by control.setLatency. */
    public latencyMs: number,
  ) {}

  async run(req: Request, res: Response, call: GateCall, handler: () => void | Promise<void>): Promise<void> {
    this.stats.count(call.method);
    // In flight from arrival until both the response is over (sent or the client went away) and
    // we are done with the call: a slow call the client gave up on still occupies the server.
    const leave = this.stats.enter(call.key);
    let pending = 2;
    const part = (): void => {
      pending -= 1;
      if (pending === 0) leave();
    };
    res.once('close', part);
    try {
      const fault = this.faults.take(call);
      const delayMs = this.latencyMs + (fault?.delayMs ?? 0);
      // A reset or close while waiting drops the call unanswered, so it cannot act on a later test's state.
      if (delayMs > 0 && !(await this.sleep(delayMs))) {
        drop(req);
        return;
      }
      if (fault && this.answerFault(req, res, call, fault)) return;
      // Like at Google, a call whose client timed out meanwhile still takes effect; its answer is lost.
      await handler();
    } finally {
      part();
    }
  }

  /** Ends waiting calls unanswered (reset, close). */
  cancelDelays(): void {
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve(false);
    }
    this.sleeps.clear();
  }

  dispose(): void {
    this.closed = true;
    this.cancelDelays();
  }

  /** True when the fault replaced the answer; false for a pure delay (the call proceeds). */
  private answerFault(req: Request, res: Response, call: GateCall, fault: FaultAction): boolean {
    if (fault.dropConnection) {
      drop(req);
      return true;
    }
    const e = fault.error;
    if (!e) return false;
    if (e.retryAfterSeconds !== undefined) res.set('Retry-After', String(e.retryAfterSeconds));
    if (call.style === 'oauth') {
      res.status(e.status).json({ error: e.reason, error_description: e.message });
    } else {
      const where = e.location === undefined ? { domain: e.domain } : { domain: e.domain, locationType: 'parameter', location: e.location };
      sendApiError(res, new ApiError(e.status, e.reason, e.message, where));
    }
    return true;
  }

  private sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const s: Sleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(s);
          resolve(true);
        }, ms),
        resolve,
      };
      this.sleeps.add(s);
    });
  }
}

/** A TCP reset, so the client sees ECONNRESET rather than a clean end of stream. */
function drop(req: Request): void {
  const socket = req.socket;
  if (!socket.destroyed) socket.resetAndDestroy();
}
