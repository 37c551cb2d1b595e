import { randomBytes } from 'node:crypto';
import { AvailabilityService, CALENDAR_CHANGES_CHANNEL, CalendarChanges, CalendarDirectory, EventService, NotConnectedError, NotificationReceiver, SyncScheduler, SyncService, WatchService, type SyncObserver } from '@calsync/calendar';
import { AdvisoryLocks, listenChannel } from '@calsync/db';
import type { GatewayObserver } from '@calsync/google';
import type { Config } from './config.ts';
import { setUpDatabase, type Database } from './database.ts';
import { setUpGoogle, type GoogleSetup } from './google.ts';
import type { Logger } from './logger.ts';

/** Lock connections beyond the scheduler's syncs: explicit syncs running at once (API, connects, jobs). */
const EXPLICIT_SYNC_LOCKS = 8;

export interface Services {
  db: Database;
  google: GoogleSetup;
  events: EventService;
  availability: AvailabilityService;
  sync: SyncService;
  syncScheduler: SyncScheduler;
  watch: WatchService;
  /** Which calendar each caller reaches; connecting and disconnecting calendars. */
  calendars: CalendarDirectory;
  receiver: NotificationReceiver;
  /** Changes of the calendar made in this process or another one, for live updates (`calendar.onChange`). */
  changes: CalendarChanges;
  /** Closes in dependency order: the sync in progress finishes, then pools, emulator, database. */
  close(): Promise<void>;
}

/** Metrics hooks; absent in one-off processes (the jobs CLI). */
export interface ServiceObservers {
  google?: GatewayObserver;
  sync?: SyncObserver;
}

/**
 * Channels opened together (a wave of connects) would all expire together: up to a tenth of the
 * lifetime is taken off at random per channel, so renewals spread out over time.
 */
const CHANNEL_TTL_JITTER = 0.1;

/** Everything but HTTP, built from the config: shared by the server and the jobs CLI. */
export async function buildServices(config: Config, logger: Logger, opts: { notificationUrl: string; observers?: ServiceObservers }): Promise<Services> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const db = await setUpDatabase(config, logger);
    closers.push(() => db.close());
    const google = await setUpGoogle(config, logger, opts.observers?.google);
    closers.push(() => google.close());
    // A sync holds its calendar's lock on a connection of this pool while it runs: one for each of
    // the scheduler's syncs, and room for explicit ones (calendar.sync, connects, the jobs). With
    // fewer, the scheduler's places are not all usable and a lone change waits for a connection
    // behind storms' syncs (4 for 8 places: ~150-280 ms in the calendars bench's storms).
    const locks = new AdvisoryLocks(db.url, { max: config.sync.maxConcurrent + EXPLICIT_SYNC_LOCKS });
    closers.push(() => locks.close());

    const changes = new CalendarChanges();
    closers.push(async () => changes.close());
    // The other server processes on this database hear this one's changes, and this one theirs,
    // so a page open on any replica shows a sync that ran on another.
    const relay = await listenChannel({
      url: db.url,
      channel: CALENDAR_CHANGES_CHANNEL,
      onMessage: (message) => changes.receive(message),
      onReconnect: () => {
        logger.info('calendar change relay: listening again; open pages re-read what they show');
        changes.relayGap();
      },
      onError: (err) => logger.warn({ err }, 'calendar change relay: connection lost, reconnecting'),
    });
    closers.push(() => relay.close());
    changes.relayTo((message) => {
      relay.notify(message).catch((err: unknown) => logger.warn({ err }, 'calendar change relay: could not tell the other processes'));
    });
    const sync = new SyncService({ em: db.orm.em, google: google.gateway, locks, logger, observer: opts.observers?.sync, changes });
    const syncScheduler = new SyncScheduler({
      minIntervalMs: config.sync.minIntervalMs,
      burstQuietMs: config.sync.burstQuietMs,
      burstMaxWaitMs: config.sync.burstMaxWaitMs,
      expectedQuietMs: config.sync.expectedQuietMs,
      immediateBudget: config.sync.immediateBudget,
      maxConcurrent: config.sync.maxConcurrent,
      logger,
      run: async (calendarId) => {
        try {
          const outcome = await sync.syncIfIdle(calendarId);
          if (!outcome.ran) return { busy: true };
          return { busy: false, changes: outcome.result.fullSync ? undefined : outcome.result.reported };
        } catch (err) {
          // Disconnected after its notification came: nothing to catch up on, nothing to retry.
          if (err instanceof NotConnectedError) return { busy: false };
          throw err;
        }
      },
    });
    closers.push(() => syncScheduler.stop());
    // Runs before the scheduler's stop: a sync waiting its turn under the quotas ends now.
    closers.push(async () => google.gateway.close());

    let webhookSecret = config.sync.webhookSecret;
    if (!webhookSecret) {
      // loadConfig refuses production without one.
      webhookSecret = randomBytes(32).toString('base64url');
      logger.warn('WEBHOOK_SECRET is not set: channels opened by this run are only valid until it stops');
    }
    const receiver = new NotificationReceiver({ em: db.orm.em, scheduler: syncScheduler, webhookSecret, logger });
    // Runs before the database closes: what the webhook heard last is recorded.
    closers.push(() => receiver.flush());
    const watch = new WatchService({
      em: db.orm.em,
      google: google.gateway,
      sync,
      logger,
      onChannelClosed: (channelId) => receiver.forget(channelId),
      config: { notificationUrl: opts.notificationUrl, webhookSecret, channelTtlSeconds: config.sync.channelTtlSeconds, channelTtlJitter: CHANNEL_TTL_JITTER },
    });
    const calendars = new CalendarDirectory({
      em: db.orm.em,
      google: google.gateway,
      watch,
      access: google.access,
      logger,
      renewBeforeMs: config.jobs.config.renewBeforeMs,
      serviceAccountClientId: config.google.credentials?.client_id,
    });
    await calendars.ensureShared();
    return {
      db,
      google,
      events: new EventService({ em: db.orm.em, google: google.gateway, changes }),
      availability: new AvailabilityService({ em: db.orm.em }),
      sync,
      syncScheduler,
      watch,
      calendars,
      receiver,
      changes,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
