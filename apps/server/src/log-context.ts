import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a log line should say about the request (or other unit of work) it was written for.
 * Mutable on purpose: the request id is known when the request arrives, the user only after
 * authentication, and every later line of the request should carry both.
 */
export interface LogFields {
  requestId?: string;
  userId?: string;
  calendarId?: string;
  channelId?: string;
}

const storage = new AsyncLocalStorage<LogFields>();

/**
 * Runs fn with its own log fields. Through AsyncLocalStorage they reach lines written by code
 * that never sees the request (domain services log through the one process-wide logger), and
 * the background work a request starts (the sync a notification asks for) keeps its request id.
 */
export function runWithLogFields<T>(fields: LogFields, fn: () => T): T {
  return storage.run(fields, fn);
}

/** Adds fields to the current unit of work's lines from here on (no-op outside one). */
export function addLogFields(fields: LogFields): void {
  const current = storage.getStore();
  if (current) Object.assign(current, fields);
}

/** The current unit of work's fields, as an object pino can merge into a line. */
export function currentLogFields(): LogFields {
  const current = storage.getStore();
  return current ? { ...current } : {};
}
