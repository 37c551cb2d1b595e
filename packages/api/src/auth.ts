import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';

export interface AuthUser {
  id: string;
  /** The token's `email` claim, lower case. */
  email?: string | undefined;
  /** The token's `email_verified` claim is true: the email may identify the user's Google account. */
  emailVerified?: boolean | undefined;
  /** The token carries the configured admin claim (see AuthConfig.adminClaim). */
  admin?: boolean | undefined;
}

export interface AuthConfig {
  /** HS256 shared secret (e.g. the CRM backend signs tokens with it). */
  jwtSecret?: string | undefined;
  /** A JWKS endpoint (e.g. Supabase, Auth0) for asymmetric tokens. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /**
   * Who is an admin: the claim at `path` (dots go into objects, e.g. `app_metadata.role`) equals
   * `value`, or is a list holding it. Unset: nobody.
   */
  adminClaim?: { path: string; value: string } | undefined;
}

/** The claim at a dotted path of a token's payload. */
function claimAt(payload: Record<string, unknown>, path: string): unknown {
  let current: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function isAdmin(payload: Record<string, unknown>, adminClaim: AuthConfig['adminClaim']): boolean {
  if (!adminClaim) return false;
  const claim = claimAt(payload, adminClaim.path);
  return claim === adminClaim.value || (Array.isArray(claim) && claim.includes(adminClaim.value));
}

export interface TokenVerifier {
  (token: string): Promise<AuthUser | null>;
  /**
   * Drops remembered tokens that have expired (a rest after many users came through: they are
   * otherwise only dropped when the same token comes back or the map is full).
   */
  forgetExpired?(): void;
}

/** How long a verified token is remembered at most (a revoked JWKS key stops working within it). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
export const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * Verifies a Bearer JWT with the configured secret and/or JWKS; returns null for anything
 * invalid (bad signature, expired, no subject) so the caller answers a plain UNAUTHORIZED.
 *
 * A token that verified is remembered until it expires, for at most VERIFIED_TOKEN_TTL_MS:
 * a page sends the same token with every request, and checking its signature each time was a
 * measurable part of a list request. Only valid tokens are remembered (garbage cannot fill it).
 */
export function createTokenVerifier(config: AuthConfig, opts: { now?: () => number } = {}): TokenVerifier {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  if (!secret && !jwks) throw new Error('createTokenVerifier needs jwtSecret or jwksUrl');
  const claims = { ...(config.issuer ? { issuer: config.issuer } : {}), ...(config.audience ? { audience: config.audience } : {}) };
  const now = opts.now ?? Date.now;

  const verify = async (token: string): Promise<VerifiedToken | null> => {
    const attempts = [
      ...(secret ? [() => jwtVerify(token, secret, { ...claims, algorithms: ['HS256'], currentDate: new Date(now()) })] : []),
      ...(jwks ? [() => jwtVerify(token, jwks, { ...claims, algorithms: ['RS256', 'ES256', 'EdDSA'], currentDate: new Date(now()) })] : []),
    ];
    for (const attempt of attempts) {
      try {
        const { payload } = await attempt();
        if (typeof payload.sub !== 'string' || payload.sub === '') return null;
        const email = typeof payload.email === 'string' && payload.email !== '' ? payload.email.toLowerCase() : undefined;
        return {
          user: { id: payload.sub, email, emailVerified: email !== undefined && payload.email_verified === true, admin: isAdmin(payload, config.adminClaim) },
          expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
        };
      } catch {
        // try the next key source; all failing means unauthenticated
      }
    }
    return null;
  };
  return rememberVerified(verify, now);
}

export interface VerifiedToken {
  user: AuthUser;
  /** When the token expires (ms since the epoch), if it says. */
  expiresAt: number | undefined;
}

/**
 * Remembers tokens that verified until they expire, for at most VERIFIED_TOKEN_TTL_MS, in a
 * bounded map (oldest out first). Invalid tokens are never remembered.
 */
export function rememberVerified(verify: (token: string) => Promise<VerifiedToken | null>, now: () => number = Date.now): TokenVerifier {
  const remembered = new Map<string, { user: AuthUser; until: number }>();
  const verifier = async (token: string): Promise<AuthUser | null> => {
    const t = now();
    const hit = remembered.get(token);
    if (hit) {
      if (t < hit.until) return hit.user;
      remembered.delete(token);
    }
    const verified = await verify(token);
    if (!verified) return null;
    const until = Math.min(verified.expiresAt ?? Number.POSITIVE_INFINITY, t + VERIFIED_TOKEN_TTL_MS);
    if (remembered.size >= MAX_REMEMBERED_TOKENS) remembered.delete(remembered.keys().next().value as string);
    remembered.set(token, { user: verified.user, until });
    return verified.user;
  };
  const forgetExpired = () => {
    const t = now();
    for (const [token, entry] of remembered) if (t >= entry.until) remembered.delete(token);
  };
  return Object.assign(verifier, { forgetExpired });
}

/**
 * Signs an HS256 token: the dev tokens printed at start-up, and tokens in tests. An email is
 * signed as verified (this signer vouches for it); `claims` adds others (e.g. an admin role).
 */
export function signToken(secret: string, sub: string, opts: { expiresIn?: string; email?: string; claims?: Record<string, unknown> } = {}): Promise<string> {
  return new SignJWT({ ...opts.claims, ...(opts.email ? { email: opts.email, email_verified: true } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(secret));
}

/** Extracts the token from an Authorization header value ("Bearer <jwt>"). */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
}
