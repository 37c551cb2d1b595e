import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';

export interface AuthUser {
  id: string;
  email?: string | undefined;
}

export interface AuthConfig {
  /** HS256 shared secret (e.g. the CRM backend signs tokens with it). */
  jwtSecret?: string | undefined;
  /** A JWKS endpoint (e.g. Supabase, Auth0) for asymmetric tokens. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
}

export type TokenVerifier = (token: string) => Promise<AuthUser | null>;

/**
 * Verifies a Bearer JWT with the configured secret and/or JWKS; returns null for anything
 * invalid (bad signature, expired, no subject) so the caller answers a plain UNAUTHORIZED.
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  if (!secret && !jwks) throw new Error('createTokenVerifier needs jwtSecret or jwksUrl');
  const claims = { ...(config.issuer ? { issuer: config.issuer } : {}), ...(config.audience ? { audience: config.audience } : {}) };

  return async (token) => {
    const attempts = [
      ...(secret ? [() => jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] })] : []),
      ...(jwks ? [() => jwtVerify(token, jwks, { ...claims, algorithms: ['RS256', 'ES256', 'EdDSA'] })] : []),
    ];
    for (const attempt of attempts) {
      try {
        const { payload } = await attempt();
        if (typeof payload.sub !== 'string' || payload.sub === '') return null;
        return { id: payload.sub, email: typeof payload.email === 'string' ? payload.email : undefined };
      } catch {
        // try the next key source; all failing means unauthenticated
      }
    }
    return null;
  };
}

/** Signs an HS256 token: the dev token printed at start-up, and tokens in tests. */
export function signToken(secret: string, sub: string, opts: { expiresIn?: string; email?: string } = {}): Promise<string> {
  return new SignJWT(opts.email ? { email: opts.email } : {})
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
