import { createCalendarClient } from '@calsync/client';
import { useResource } from '@calsync/db/testing/hooks';
import { GoogleCalendarGateway, type GoogleEvent } from '@calsync/google';
import pg from 'pg';
import { expect } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { startBackingServices, type BackingServices, type BackingServicesOptions } from './backing-services.ts';
import { clientFor } from './client.ts';

export interface SystemOptions extends Omit<BackingServicesOptions, 'env'> {
  /** Extra environment for the server (e.g. SYNC_MIN_INTERVAL_MS). */
  env?: Record<string, string>;
  /** The server's logger (e.g. one writing into a buffer); default: silent unless TEST_LOG_LEVEL. */
  logger?: Logger;
  /** The server jobs' clock (default: the system clock). */
  now?: () => Date;
}

/**
 * The whole service as a user meets it: real PostgreSQL (a database of its own), the Google
 * emulator over HTTP, the server built by the same composition code as `pnpm start`, and the
 * typed client.
 */
export async function startSystem(opts: SystemOptions = {}) {
  // The options' env is the server's alone: `env` below stays what any server here starts from.
  const backing = await startBackingServices({ ...opts, env: {} });
  const { db, emulator, key, calendarId } = backing;
  const config = loadConfig({ ...backing.env, PORT: '0', LOG_LEVEL: 'silent', ...opts.env });
  const app: RunningApp = await startApp(config, opts.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { now: opts.now }).catch(async (err: unknown) => {
    await backing.close();
    throw err;
  });
  const { client, token } = await clientFor(app.url, 'user-1');
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  // Google as a client of it sees the calendar: through Google's own client library, over HTTP.
  const google = new GoogleCalendarGateway({ credentials: key, apiBaseUrl: emulator.url });
  const googleRef = { calendarId, subject: backing.env.GOOGLE_IMPERSONATE_USER };

  return {
    app,
    emulator,
    /** The service account the server uses (to act on Google directly, e.g. kill a channel). */
    key,
    databaseUrl: db.url,
    /** The environment that points a server at this database and emulator (without `opts.env`): for one more server beside it. */
    env: backing.env,
    client,
    token,
    sql,
    /** The calendar id as the emulator knows it (the acting principal's primary calendar). */
    calendarId,
    /** A client for any token (or none). */
    clientWith(getToken: () => string | null) {
      return createCalendarClient({ url: `${app.url}/trpc`, getToken });
    },
    async rowCount(): Promise<number> {
      const r = await sql.query<{ n: string }>('select count(*) as n from calendar_events');
      return Number(r.rows[0]?.n ?? 0);
    },
    /** Our live (not cancelled) rows, in the shape the emulator is compared with. */
    async localEvents(): Promise<EventSnapshot[]> {
      const r = await sql.query<{ google_event_id: string; summary: string; start_time: Date; end_time: Date; etag: string }>(
        `select google_event_id, summary, start_time, end_time, etag from calendar_events where status <> 'cancelled' order by google_event_id`,
      );
      return r.rows
        .map((row) => ({ id: row.google_event_id, summary: row.summary, start: row.start_time.toISOString(), end: row.end_time.toISOString(), etag: row.etag }))
        .sort(byId);
    },
    /** Google's (the emulator's) live events, same shape. */
    googleEvents(): EventSnapshot[] {
      return emulator.control
        .listEvents(calendarId)
        .filter((e) => e.status !== 'cancelled')
        .map((e) => ({
          id: e.id,
          summary: e.summary ?? '',
          start: new Date(e.start?.dateTime ?? `${e.start?.date}T00:00:00Z`).toISOString(),
          end: new Date(e.end?.dateTime ?? `${e.end?.date}T00:00:00Z`).toISOString(),
          etag: e.etag,
        }))
        .sort(byId);
    },
    /**
     * Google's live occurrences as its API lists them with singleEvents (each series expanded
     * into its occurrences, exceptions in place), same shape as localEvents: what our rows must equal.
     */
    async googleOccurrences(): Promise<EventSnapshot[]> {
      const items: GoogleEvent[] = [];
      let pageToken: string | undefined;
      do {
        const page = await google.listEvents(googleRef, { singleEvents: true, pageToken, maxResults: 2500 });
        items.push(...page.items);
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
      return items
        .filter((e) => e.status !== 'cancelled')
        .map((e) => ({
          id: e.id ?? '',
          summary: e.summary ?? '',
          start: new Date(e.start?.dateTime ?? `${e.start?.date}T00:00:00Z`).toISOString(),
          end: new Date(e.end?.dateTime ?? `${e.end?.date}T00:00:00Z`).toISOString(),
          etag: e.etag ?? '',
        }))
        .sort(byId);
    },
    /** After everything in flight settles, our live rows equal Google's occurrences one by one (recurring series expanded). */
    async expectOccurrencesInSync(): Promise<void> {
      await this.settle();
      const [local, google] = [await this.localEvents(), await this.googleOccurrences()];
      expect(local).toEqual(google);
      expect(new Set(local.map((e) => e.id)).size).toBe(local.length);
    },
    /** Back to an empty calendar on both sides, no channel, no sync state. */
    async reset(): Promise<void> {
      await this.client.calendar.stopWatch.mutate();
      await this.settle();
      emulator.control.reset();
      await sql.query('delete from calendar_events');
      await sql.query('delete from calendar_series');
      await sql.query('delete from calendar_sync_states');
      // Connected again, as good as new: no failures, never reconciled.
      await sql.query(
        `update connected_calendars set state = 'active', state_reason = null, failures = 0, retry_at = null, last_error = null, last_error_at = null, last_reconciled_at = null`,
      );
    },
    /** After everything in flight settles, our live rows equal Google's, event for event. */
    async expectInSyncWithGoogle(): Promise<void> {
      await this.settle();
      expect(await this.localEvents()).toEqual(this.googleEvents());
    },
    /** Waits until every notification is delivered and every sync it caused has finished. */
    async settle(): Promise<void> {
      for (let i = 0; i < 3; i++) {
        await emulator.control.notificationsIdle();
        await app.syncIdle();
      }
    },
    async close() {
      await app.close();
      await sql.end();
      await backing.close();
    },
  };
}

export type System = Awaited<ReturnType<typeof startSystem>>;

/**
 * The system of a test file (or of the describe block it is called in): started before its first
 * test, closed after its last. Use the returned system in tests and hooks as a started one.
 */
export function useSystem(opts: SystemOptions = {}): System {
  return useResource('the system', () => startSystem(opts), (sys) => sys.close());
}

/** Only what surrounds a server, for a file that starts its servers itself (as processes, several). */
export function useBackingServices(opts: BackingServicesOptions = {}): BackingServices {
  return useResource('the backing services', () => startBackingServices(opts), (backing) => backing.close());
}

/** By id in code-unit order (the database's collation would order `_` differently). */
const byId = (a: EventSnapshot, b: EventSnapshot) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export interface EventSnapshot {
  id: string;
  summary: string;
  start: string;
  end: string;
  etag: string;
}

/** Polls until check() passes (it throws until then) or the timeout ends, then rethrows. */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A fixed week far from "now", so tests never depend on today's date. */
export const at = (iso: string): Date => new Date(iso);
