import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The secret Google echoes on every notification of a channel (X-Goog-Channel-Token). Derived
 * from WEBHOOK_SECRET and the channel id, so nothing secret is stored and a token proves the
 * channel was made by us even before its row is committed.
 */
export function channelToken(secret: string, channelId: string): string {
  return createHmac('sha256', secret).update(`calsync-channel:${channelId}`).digest('base64url');
}

export function isValidChannelToken(secret: string, channelId: string, presented: string): boolean {
  const expected = Buffer.from(channelToken(secret, channelId));
  const given = Buffer.from(presented);
  // Length differs only for garbage; comparing equal-length buffers keeps the check constant-time.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
