import { JWT } from 'google-auth-library';
import { CALENDAR_SCOPES, GOOGLE_TOKEN_URL, type GoogleGatewayConfig } from './config.ts';

/**
 * The service-account JWT client acting as `subject` (domain-wide delegation; undefined: the
 * service account itself). google-auth-library hard-codes Google's token URL (the key JSON's
 * token_uri is ignored), so with a base URL override the token request is rewritten at the
 * fetch level; the JWT's audience stays Google's token URL, as the emulator expects.
 */
export function createServiceAccountAuth(config: GoogleGatewayConfig, subject: string | undefined): JWT {
  const base = config.apiBaseUrl?.replace(/\/+$/, '');
  return new JWT({
    email: config.credentials.client_email,
    key: config.credentials.private_key,
    keyId: config.credentials.private_key_id,
    // Without scopes the library silently sends no Authorization header at all.
    scopes: CALENDAR_SCOPES,
    subject,
    transporterOptions: {
      // The library would retry the token call on its own (ignoring Retry-After); our gateway's
      // one policy decides instead.
      retryConfig: { retry: 0 },
      ...(base ? { fetchImplementation: redirectTokenCalls(`${base}/token`) } : {}),
    },
  });
}

function redirectTokenCalls(tokenUrl: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === GOOGLE_TOKEN_URL) return fetch(tokenUrl, init);
    return fetch(input, init);
  };
}

/** Tokens are renewed this long before they expire (google-auth-library's own margin). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** Access tokens kept at most (about 200 bytes each); the least recently used go first. */
export const MAX_CACHED_TOKENS = 20_000;

/**
 * One access token per delegation subject, minted when first needed and reused until shortly
 * before it expires: a bounded map of strings rather than a JWT client (with its own HTTP
 * transport) per user, so 10,000 calendars cost a few MB. Concurrent calls for one subject share
 * one token request. Tokens are never logged: they leave only in the Authorization header.
 */
export class AccessTokens {
  private readonly cache = new Map<string, { token: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly config: GoogleGatewayConfig,
    private readonly now: () => number = Date.now,
  ) {}

  async get(subject: string | undefined): Promise<string> {
    const key = subject ?? '';
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt - REFRESH_MARGIN_MS > this.now()) {
      // Least recently used order: a hit moves to the back.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.token;
    }
    let minting = this.pending.get(key);
    if (!minting) {
      minting = this.mint(key, subject).finally(() => this.pending.delete(key));
      this.pending.set(key, minting);
    }
    return minting;
  }

  /** Google refused the token (revoked, or the user was suspended): the next call mints a new one. */
  forget(subject: string | undefined): void {
    this.cache.delete(subject ?? '');
  }

  get size(): number {
    return this.cache.size;
  }

  private async mint(key: string, subject: string | undefined): Promise<string> {
    const { access_token: token, expiry_date: expiresAt } = await createServiceAccountAuth(this.config, subject).authorize();
    if (!token) throw new Error('the token endpoint answered without an access token');
    this.cache.delete(key);
    if (this.cache.size >= MAX_CACHED_TOKENS) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { token, expiresAt: expiresAt ?? this.now() + 3_600_000 });
    return token;
  }
}
