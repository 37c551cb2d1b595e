import { CALENDAR_CHANGES_CHANNEL } from '@calsync/calendar';
import type { CalendarChangeMessage, CalendarClient } from '@calsync/client';
import type pg from 'pg';
import { expect } from 'vitest';
import { eventually } from './system.ts';

/**
 * Live-update pages (calendar.onChange) in tests. Whether a page hears nothing it should not can
 * only be known once everything sent to it has arrived: a marker relayed through PostgreSQL
 * NOTIFY (as another server process relays its changes) reaches the page after every change
 * published before it, so waiting for the marker is waiting for all of them.
 */

/** Markers carry this time; no real change is that old. */
const MARKER_AT = new Date('2000-01-01T00:00:00Z').getTime();
let markers = 0;

export const isMarker = (m: CalendarChangeMessage): boolean => m.at.getTime() === MARKER_AT;

/** Relays a marker change for the calendar to every server process's pages on it; returns its id (its `changed`). */
export async function relayMarker(sql: pg.Pool, calendarId: string): Promise<number> {
  const id = ++markers;
  const message = { v: 1, origin: 'test-marker', calendarId, changed: id, deleted: 0, source: 'sync', at: new Date(MARKER_AT).toISOString() };
  await sql.query('select pg_notify($1, $2)', [CALENDAR_CHANGES_CHANNEL, JSON.stringify(message)]);
  return id;
}

export interface Page {
  /** The calendar it follows. */
  calendarId: string;
  /** Everything heard, markers included. */
  messages: CalendarChangeMessage[];
  /** What it heard but the markers. */
  changes(): CalendarChangeMessage[];
  stop(): void;
}

/**
 * Opens calendar.onChange (naming `named`, if given) as a page would. It is live on `calendarId`
 * once a marker relayed for that calendar arrives (re-sent until one does: the stream may attach
 * after the first); a refused stream ends in an error instead, which is returned.
 */
export async function openPage(client: CalendarClient, sql: pg.Pool, calendarId: string, named?: string): Promise<{ page: Page } | { error: unknown }> {
  const messages: CalendarChangeMessage[] = [];
  let error: unknown;
  const sub = client.calendar.onChange.subscribe(named === undefined ? undefined : { calendarId: named }, {
    onData: (m) => messages.push(m),
    onError: (err) => (error = err),
  });
  await eventually(async () => {
    if (error === undefined && !messages.some(isMarker)) await relayMarker(sql, calendarId);
    expect(error !== undefined || messages.some(isMarker), `a page on ${calendarId} neither opened nor failed`).toBe(true);
  });
  if (error !== undefined) {
    sub.unsubscribe();
    return { error };
  }
  return { page: { calendarId, messages, changes: () => messages.filter((m) => !isMarker(m)), stop: () => sub.unsubscribe() } };
}

/** Resolves once everything published for the page's calendar before this call has reached it. */
export async function flushPage(page: Page, sql: pg.Pool): Promise<void> {
  const marker = await relayMarker(sql, page.calendarId);
  await eventually(() => expect(page.messages.some((m) => isMarker(m) && m.changed === marker), `the page on ${page.calendarId} stopped hearing`).toBe(true));
}
