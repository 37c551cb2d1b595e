import type { EntityManager } from '@calsync/db';
import { silentLogger, type Logger } from '../logger.ts';
import { isValidChannelToken } from './channel-token.ts';
import type { SyncScheduler } from './sync-scheduler.ts';
import { recordNotification } from './sync-state-store.ts';

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
 * Authenticates a notification (channel token, active channel, matching resource), records it,
 * and asks for a sync. Never calls Google: the answer must be fast and forged calls must cost
 * nothing. The sync runs after the answer, via the scheduler.
 */
export class NotificationReceiver {
  private readonly logger: Logger;

  constructor(
    private readonly deps: { em: EntityManager; scheduler: SyncScheduler; webhookSecret: string; logger?: Logger },
  ) {
    this.logger = deps.logger ?? silentLogger;
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
    const record = await recordNotification(this.deps.em.fork(), channelId, resourceId, number);
    if (!record) return this.forbidden(n, 'channel is not active (stopped, replaced or unknown)');
    if (record.duplicate) {
      this.logger.debug({ channelId, messageNumber: number }, 'notification already covered');
      return { result: 'duplicate' };
    }
    this.deps.scheduler.request(record.calendarId);
    return { result: 'accepted' };
  }

  private forbidden(n: PushNotification, reason: string): NotificationOutcome {
    // Never log the presented token.
    this.logger.warn({ channelId: n.channelId ?? null, resourceId: n.resourceId ?? null, reason }, 'webhook notification refused');
    return { result: 'forbidden', reason };
  }
}
