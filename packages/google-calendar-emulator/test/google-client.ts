/**
 * The real Google client library pointed at an emulator: the only test-side glue needed.
 * - Calendar calls: the per-API `rootUrl` option.
 * - Token call: google-auth-library hard-codes https://oauth2.googleapis.com/token, so the JWT's
 *   transporter gets a `fetchImplementation` that rewrites that one URL (gaxios 8 passes a URL object).
 */
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { JWT } from 'google-auth-library';
import type { ServiceAccountKey } from '../src/index.ts';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export function redirectingFetch(baseUrl: string): typeof fetch {
  return (input, init) => {
    const href = input instanceof URL ? input.href : typeof input === 'string' ? input : input.url;
    if (href === GOOGLE_TOKEN_URL) return fetch(new URL(`${baseUrl}/token`), init);
    return fetch(input, init);
  };
}

export interface ClientOptions {
  subject?: string;
  scopes?: string[];
}

export function googleAuth(baseUrl: string, key: ServiceAccountKey, opts: ClientOptions = {}): JWT {
  return new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: opts.scopes ?? ['https://www.googleapis.com/auth/calendar'],
    ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
    transporterOptions: { fetchImplementation: redirectingFetch(baseUrl) },
  });
}

export function googleCalendar(baseUrl: string, key: ServiceAccountKey, opts: ClientOptions = {}): calendar_v3.Calendar {
  return calendar({ version: 'v3', auth: googleAuth(baseUrl, key, opts), rootUrl: `${baseUrl}/` });
}

/** What a failed call looks like through the library: HTTP status and Google's first reason. */
export async function failure(p: Promise<unknown>): Promise<{ status: number | undefined; reason: string | undefined; body: unknown }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status?: number; response?: { status?: number; data?: { error?: { errors?: { reason?: string }[] } } } };
    return { status: e.status ?? e.response?.status, reason: e.response?.data?.error?.errors?.[0]?.reason, body: e.response?.data };
  }
  throw new Error('expected the call to fail');
}
