import type { EntityManager } from '@calsync/db';
import { silentLogger, type Logger } from '../logger.ts';
import { isValidChannelToken } from './channel-token.ts';
import type { SyncScheduler } from './sync-scheduler.ts';
import { findActiveChannel, recordNotifications, type ActiveChannel, type HeardNotification } from './sync-state-store.ts';

/** The X-Goog-* headers of a push notification (absent ones undefined). */
export interface PushNotification {
  channelId?: string | undefined;
  channelToken?: string | undefined;
  resourceId?: string | undefined;
  resourceState?: string | undefined;
  messageNumber?: string | undefined;
}

export type NotificationOutcome =
  | { result: 'sync-handshake' | 'accepted' | 'duplicate' }
  | { result: 'invalid'; reason: string }
  | { result: 'forbidden'; reason: string };

const RESOURCE_STATES = new Set(['sync', 'exists', 'not_exists']);

/**
 * How long a channel read from the database is trusted without reading it again. A channel
 * stopped or replaced in this process is forgotten at once (`forget`); one stopped by another
 * process may still be taken for active this long: its notification then asks for a sync of its
 * calendar, which syncs (an extra list call) or, disconnected, does nothing.
 */
const CHANNEL_RECHECK_MS = 30_000;
/** Channels without a notification for this long are dropped from memory. */
const CHANNEL_IDLE_MS = 10 * 60_000;
/** Notifications are written to the database in batches, at most this long after they came. */
const RECORD_EVERY_MS = 100;

interface KnownChannel extends ActiveChannel {
  /** When it was last read from the database. */
  checkedAt: number;
  lastHeardAt: number;
}

export interface NotificationReceiverDeps {
  em: EntityManager;
  scheduler: SyncScheduler;
  webhookSecret: string;
  logger?: Logger;
  now?: () => number;
}

/**
 * Authenticates a notification (channel token, active channel, matching resource), records it,
 * and asks for a sync. Never calls Google: the answer must be fast and forged calls must cost
 * nothing. The sync runs after the answer, via the scheduler.
 *
 * A storm of notifications costs the database almost nothing: the active channels are kept in
 * memory (read once per channel and CHANNEL_RECHECK_MS), duplicates are told by the message
 * numbers in memory, and what came is written in one statement per RECORD_EVERY_MS for all
 * channels (the highest message number and when the latest came), not one row lock and update per
 * notification. Across processes the database stays the judge: each process starts from the
 * recorded numbers, and a duplicate taken in by another process costs at most one extra sync.
 */
export class NotificationReceiver {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly channels = new Map<string, KnownChannel>();
  /** Channel reads in flight: notifications of one channel arriving together share one. */
  private readonly reading = new Map<string, Promise<ActiveChannel | null>>();
  /** Heard since the last write, per channel: its highest message number and when the latest came. */
  private heard = new Map<string, HeardNotification>();
  private recordTimer: NodeJS.Timeout | null = null;
  private recording: Promise<void> = Promise.resolve();
  private lastSweep = 0;
  /** Counts forget() calls: a read that overlapped one is not kept. */
  private forgets = 0;

  constructor(private readonly deps: NotificationReceiverDeps) {
    this.logger = deps.logger ?? silentLogger;
    this.now = deps.now ?? Date.now;
  }

  async receive(n: PushNotification): Promise<NotificationOutcome> {
    const { channelId, channelToken, resourceId, resourceState, messageNumber } = n;
    if (!channelId || !channelToken || !isValidChannelToken(this.deps.webhookSecret, channelId, channelToken)) {
      return this.forbidden(n, channelId ? 'bad or missing channel token' : 'missing channel id');
    }
    if (!resourceState || !RESOURCE_STATES.has(resourceState)) return { result: 'invalid', reason: 'unknown X-Goog-Resource-State' };
    // The handshake right after watch: the token proves the channel is ours, nothing to do.
    if (resourceState === 'sync') return { result: 'sync-handshake' };

    const number = Number(messageNumber);
    if (!resourceId || !Number.isSafeInteger(number) || number < 1) {
      return { result: 'invalid', reason: 'missing X-Goog-Resource-ID or X-Goog-Message-Number' };
    }
    // Only a valid token gets this far, so only our own channels take memory here.
    const channel = await this.activeChannel(channelId);
    if (!channel || channel.resourceId !== resourceId) return this.forbidden(n, 'channel is not active (stopped, replaced or unknown)');
    // From here on nothing awaits: the number check and its update are one step.
    if (number <= channel.lastMessageNumber) {
      this.logger.debug({ channelId, messageNumber: number }, 'notification already covered');
      return { result: 'duplicate' };
    }
    const now = this.now();
    channel.lastMessageNumber = number;
    channel.lastHeardAt = now;
    this.heard.set(channelId, { channelId, messageNumber: number, at: new Date(now) });
    this.recordSoon();
    this.deps.scheduler.request(channel.calendarId);
    return { result: 'accepted' };
  }

  /** A channel stopped or replaced here: its notifications are refused from now on. */
  forget(channelId: string): void {
    this.channels.delete(channelId);
    this.forgets += 1;
  }

  /** Writes what was heard and not yet recorded (shutdown, tests). */
  async flush(): Promise<void> {
    if (this.recordTimer) clearTimeout(this.recordTimer);
    this.recordTimer = null;
    await this.record();
  }

  private async activeChannel(channelId: string): Promise<KnownChannel | null> {
    const now = this.now();
    this.sweep(now);
    const known = this.channels.get(channelId);
    if (known && now - known.checkedAt < CHANNEL_RECHECK_MS) return known;
    let read = this.reading.get(channelId);
    if (!read) {
      read = findActiveChannel(this.deps.em.fork(), channelId).finally(() => this.reading.delete(channelId));
      this.reading.set(channelId, read);
    }
    const forgets = this.forgets;
    const row = await read;
    const current = this.channels.get(channelId);
    // Another notification that shared the read installed it first (with its number): use that.
    if (current && current !== known) return current;
    if (!row) {
      this.channels.delete(channelId);
      return null;
    }
    const channel: KnownChannel = {
      ...row,
      lastMessageNumber: Math.max(row.lastMessageNumber, known?.lastMessageNumber ?? 0),
      checkedAt: now,
      lastHeardAt: known?.lastHeardAt ?? now,
    };
    // A channel stopped here while it was read may have been read as still active: not kept.
    if (forgets === this.forgets) this.channels.set(channelId, channel);
    return channel;
  }

  private recordSoon(): void {
    if (this.recordTimer) return;
    this.recordTimer = setTimeout(() => {
      this.recordTimer = null;
      void this.record();
    }, RECORD_EVERY_MS);
  }

  /** One statement for everything heard since the last; one write at a time. */
  private record(): Promise<void> {
    this.recording = this.recording.then(async () => {
      if (this.heard.size === 0) return;
      const batch = this.heard;
      this.heard = new Map();
      try {
        await recordNotifications(this.deps.em.fork(), [...batch.values()]);
      } catch (err) {
        // Kept for the next write (merged with anything newer); the syncs were asked for already.
        for (const [channelId, h] of batch) {
          const newer = this.heard.get(channelId);
          if (!newer || newer.messageNumber < h.messageNumber) this.heard.set(channelId, newer ? { ...h, at: newer.at } : h);
        }
        this.logger.warn({ err, channels: batch.size }, 'could not record notifications; will retry');
        this.recordSoon();
      }
    });
    return this.recording;
  }

  /** Drops channels that have been quiet for a while (10,000 calendars, few of them busy). */
  private sweep(now: number): void {
    if (now - this.lastSweep < CHANNEL_IDLE_MS) return;
    this.lastSweep = now;
    for (const [channelId, c] of this.channels) if (now - c.lastHeardAt > CHANNEL_IDLE_MS) this.channels.delete(channelId);
  }

  private forbidden(n: PushNotification, reason: string): NotificationOutcome {
    // Never log the presented token.
    this.logger.warn({ channelId: n.channelId ?? null, resourceId: n.resourceId ?? null, reason }, 'webhook notification refused');
    return { result: 'forbidden', reason };
  }
}
