import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@calsync/db';
import { GoogleApiError, type GoogleCalendarGateway } from '@calsync/google';
import { silentLogger, type Logger } from '../logger.ts';
import { channelToken } from './channel-token.ts';
import type { SyncResult, SyncService } from './sync-service.ts';
import { deactivateChannel, replaceChannel, type ChannelInfo } from './sync-state-store.ts';

export interface WatchConfig {
  /** Public HTTPS address Google posts notifications to (the app's webhook route). */
  notificationUrl: string;
  /** Secret the per-channel tokens are derived from. */
  webhookSecret: string;
  /** Channel lifetime asked of Google (Google caps it at MAX_CHANNEL_TTL_SECONDS). */
  channelTtlSeconds: number;
}

export interface WatchServiceDeps {
  em: EntityManager;
  google: GoogleCalendarGateway;
  sync: SyncService;
  config: WatchConfig;
  logger?: Logger;
}

/** Push channels: open (make-before-break), stop, and the initial sync that completes the copy. */
export class WatchService {
  private readonly logger: Logger;

  constructor(private readonly deps: WatchServiceDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  /**
   * Opens a new channel for the calendar, makes it the active one, then stops the one it replaces
   * (both deliver meanwhile, so no change falls between them), then syncs so the local copy is
   * complete at once (a full listing the first time).
   */
  async watch(calendarId: string): Promise<ChannelInfo & { initialSync: SyncResult }> {
    const channelId = randomUUID();
    const channel = await this.deps.google.watchEvents(calendarId, {
      channelId,
      address: this.deps.config.notificationUrl,
      token: channelToken(this.deps.config.webhookSecret, channelId),
      ttlSeconds: this.deps.config.channelTtlSeconds,
    });
    let previous: ChannelInfo | null;
    try {
      previous = await replaceChannel(this.deps.em.fork(), calendarId, channel);
    } catch (err) {
      // Not recorded, so nobody would renew or stop it: stop it now rather than leave it dangling.
      await this.stopAtGoogle(channel);
      throw err;
    }
    this.logger.info({ calendarId, channelId, expiration: channel.expiration.toISOString() }, 'watch channel opened');
    if (previous) await this.stopAtGoogle(previous);
    const initialSync = await this.deps.sync.sync(calendarId);
    return { ...channel, initialSync };
  }

  /** Stops the calendar's channel at Google and deactivates it. False when none was active. */
  async stopWatch(calendarId: string): Promise<boolean> {
    const channel = await deactivateChannel(this.deps.em.fork(), calendarId);
    if (!channel) return false;
    await this.stopAtGoogle(channel);
    this.logger.info({ calendarId, channelId: channel.channelId }, 'watch channel stopped');
    return true;
  }

  private async stopAtGoogle(channel: ChannelInfo): Promise<void> {
    try {
      await this.deps.google.stopChannel(channel.channelId, channel.resourceId);
    } catch (err) {
      // Already gone at Google (expired or stopped): the goal is reached.
      if (err instanceof GoogleApiError && err.kind === 'not_found') return;
      // It expires on its own; its notifications are refused meanwhile (inactive channel).
      this.logger.warn({ err, channelId: channel.channelId }, 'could not stop a replaced channel at Google');
    }
  }
}
