import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@calsync/db';
import { GoogleApiError, type CalendarRef, type GoogleCalendarGateway } from '@calsync/google';
import { findCalendar } from '../calendars/store.ts';
import { NotConnectedError } from '../errors.ts';
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
  /**
   * Up to this fraction of the lifetime is taken off at random per channel, so channels opened
   * together (10,000 calendars onboarded in one go) drift apart and their renewals spread out.
   */
  channelTtlJitter?: number;
}

export interface WatchServiceDeps {
  em: EntityManager;
  google: GoogleCalendarGateway;
  sync: SyncService;
  config: WatchConfig;
  logger?: Logger;
  /** Told of each channel this service stopped or replaced (the webhook forgets it at once). */
  onChannelClosed?: (channelId: string) => void;
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
    const ref = await this.connected(calendarId);
    const channelId = randomUUID();
    const { channelTtlSeconds, channelTtlJitter = 0 } = this.deps.config;
    const channel = await this.deps.google.watchEvents(ref, {
      channelId,
      address: this.deps.config.notificationUrl,
      token: channelToken(this.deps.config.webhookSecret, channelId),
      ttlSeconds: Math.max(60, Math.round(channelTtlSeconds * (1 - Math.random() * channelTtlJitter))),
    });
    let previous: ChannelInfo | null;
    try {
      previous = await replaceChannel(this.deps.em.fork(), calendarId, channel);
    } catch (err) {
      // Not recorded, so nobody would renew or stop it: stop it now rather than leave it dangling.
      await this.stopAtGoogle(ref.subject, channel);
      throw err;
    }
    this.logger.info({ calendarId, channelId, expiration: channel.expiration.toISOString() }, 'watch channel opened');
    if (previous) {
      this.deps.onChannelClosed?.(previous.channelId);
      await this.stopAtGoogle(ref.subject, previous);
    }
    const initialSync = await this.deps.sync.sync(calendarId);
    return { ...channel, initialSync };
  }

  /** Stops the calendar's channel at Google and deactivates it. False when none was active. */
  async stopWatch(calendarId: string): Promise<boolean> {
    const calendar = await findCalendar(this.deps.em.fork(), calendarId);
    const channel = await deactivateChannel(this.deps.em.fork(), calendarId);
    if (!channel) return false;
    this.deps.onChannelClosed?.(channel.channelId);
    await this.stopAtGoogle(calendar?.subject ?? undefined, channel);
    this.logger.info({ calendarId, channelId: channel.channelId }, 'watch channel stopped');
    return true;
  }

  /** The calendar as Google is called for it; it must be connected (active, or failing and being retried). */
  private async connected(calendarId: string): Promise<CalendarRef> {
    const calendar = await findCalendar(this.deps.em.fork(), calendarId);
    if (!calendar || calendar.state === 'disconnected') throw new NotConnectedError(calendarId, `Calendar ${calendarId} is not connected.`);
    return { calendarId, subject: calendar.subject ?? undefined };
  }

  private async stopAtGoogle(subject: string | undefined, channel: ChannelInfo): Promise<void> {
    try {
      await this.deps.google.stopChannel(subject, channel.channelId, channel.resourceId);
    } catch (err) {
      // Already gone at Google (expired or stopped): the goal is reached.
      if (err instanceof GoogleApiError && err.kind === 'not_found') return;
      // It expires on its own; its notifications are refused meanwhile (inactive channel).
      this.logger.warn({ err, channelId: channel.channelId }, 'could not stop a replaced channel at Google');
    }
  }
}
