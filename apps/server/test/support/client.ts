import { signToken } from '@calsync/api';
import { createCalendarClient, type CalendarClient } from '@calsync/client';
import { TEST_JWT_SECRET } from './backing-services.ts';

/** A signed-in user of one server: the typed client, and the token for raw HTTP calls. */
export interface UserClient {
  user: string;
  token: string;
  client: CalendarClient;
}

/**
 * The typed client of `url` (a server started on startBackingServices' environment) acting as
 * `user`, with a token signed by the test secret. Keyed by user: what a user may see is theirs.
 */
export async function clientFor(
  url: string,
  user: string,
  opts: { expiresIn?: string; email?: string; claims?: Record<string, unknown> } = {},
): Promise<UserClient> {
  const token = await signToken(TEST_JWT_SECRET, user, opts);
  return { user, token, client: createCalendarClient({ url: `${url}/trpc`, getToken: () => token }) };
}
