/** Service-account registry, the OAuth token endpoint and Bearer-token checks on API calls. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { ApiError } from './errors.ts';
import { GOOGLE_TOKEN_URI, toPublicKey, type ServiceAccountKey, type ServiceAccountPublicKey } from './keys.ts';
import { randomToken } from './ids.ts';
import type { Gate } from './gate.ts';
import type { Actor } from './store.ts';

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
const WRITE_SCOPES = [CALENDAR_SCOPE, `${CALENDAR_SCOPE}.events`];
const READ_SCOPES = [...WRITE_SCOPES, `${CALENDAR_SCOPE}.readonly`, `${CALENDAR_SCOPE}.events.readonly`];
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PRUNE_MIN = 10_000;

interface Account {
  email: string;
  kid: string;
  key: KeyObject;
  domainWideDelegation: boolean;
}

interface AccessToken extends Actor {
  scopes: string[];
  expiresAtMs: number;
}

/** OAuth errors are not wrapped in the API envelope: Google answers {error, error_description}. */
class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

export interface AuthOptions {
  now: () => number;
  tokenTtlSeconds: number;
  gate: Gate;
}

export class Auth {
  private byEmail = new Map<string, Account>();
  private byKid = new Map<string, Account>();
  private tokens = new Map<string, AccessToken>();
  private pruneAbove = PRUNE_MIN;

  constructor(private readonly opts: AuthOptions) {}

  register(key: ServiceAccountPublicKey | ServiceAccountKey, opts: { domainWideDelegation?: boolean } = {}): void {
    const pub = toPublicKey(key);
    const account: Account = {
      email: pub.client_email.toLowerCase(),
      kid: pub.private_key_id,
      key: createPublicKey(pub.publicKeyPem),
      domainWideDelegation: opts.domainWideDelegation ?? false,
    };
    const previous = this.byEmail.get(account.email);
    if (previous) this.byKid.delete(previous.kid);
    this.byEmail.set(account.email, account);
    this.byKid.set(account.kid, account);
  }

  /** `POST /token`, mounted at the root like oauth2.googleapis.com. */
  tokenRouter(): Router {
    const router = express.Router();
    router.post('/token', express.urlencoded({ extended: false }), (req, res) =>
      this.opts.gate.run(req, res, { method: 'token', calendarIds: [], key: 'token', style: 'oauth' }, async () => {
        try {
          const body: Record<string, unknown> = typeof req.body === 'object' && req.body !== null ? req.body : {};
          // The emulator's own /token is a valid audience too, whatever address it is reached at.
          res.json(await this.exchange(body, [`${req.protocol}://${req.get('host') ?? ''}`]));
        } catch (err) {
          if (!(err instanceof OAuthError)) throw err;
          res.status(err.status).json({ error: err.error, error_description: err.message });
        }
      }),
    );
    return router;
  }

  private async exchange(body: Record<string, unknown>, selfUrls: string[]): Promise<{ access_token: string; expires_in: number; token_type: 'Bearer' }> {
    if (body.grant_type !== JWT_BEARER) throw new OAuthError(400, 'unsupported_grant_type', `Invalid grant_type: ${String(body.grant_type ?? '')}`);
    const assertion = body.assertion;
    if (typeof assertion !== 'string' || assertion === '') throw new OAuthError(400, 'invalid_request', 'Missing required parameter: assertion');
    let kid: string | undefined;
    let iss: unknown;
    try {
      kid = decodeProtectedHeader(assertion).kid;
      iss = decodeJwt(assertion).iss;
    } catch {
      throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: malformed assertion.');
    }
    const account = (kid !== undefined ? this.byKid.get(kid) : undefined) ?? (typeof iss === 'string' ? this.byEmail.get(iss.toLowerCase()) : undefined);
    if (!account) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    let claims: Record<string, unknown>;
    try {
      // Assertions are signed with the caller's real clock, so they are checked against real time,
      // not the injectable emulator clock (which may have been moved on purpose).
      claims = (await jwtVerify(assertion, account.key, { algorithms: ['RS256'], clockTolerance: 60 })).payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired || err instanceof joseErrors.JWTClaimValidationFailed) {
        throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
      }
      throw new OAuthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    if (typeof claims.iss !== 'string' || claims.iss.toLowerCase() !== account.email) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    const aud = claims.aud;
    const audiences = [GOOGLE_TOKEN_URI, ...selfUrls.map((u) => `${u}/token`)];
    if (typeof aud !== 'string' || !audiences.includes(aud)) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    const exp = claims.exp;
    const iat = claims.iat;
    if (typeof exp !== 'number' || typeof iat !== 'number' || exp > iat + 3600) {
      throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter((s) => s !== '') : [];
    if (scopes.length === 0) throw new OAuthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    let actor: Actor = { principal: account.email, serviceAccount: true };
    if (claims.sub !== undefined && claims.sub !== account.email) {
      if (!account.domainWideDelegation) {
        throw new OAuthError(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested. (Domain-wide delegation is not enabled for this service account.)');
      }
      if (typeof claims.sub !== 'string' || !claims.sub.includes('@')) throw new OAuthError(400, 'invalid_grant', 'Invalid email or User ID');
      actor = { principal: claims.sub.toLowerCase(), serviceAccount: false };
    }
    if (this.tokens.size > this.pruneAbove) this.pruneExpired();
    const accessToken = `ya29.${randomToken(48)}`;
    this.tokens.set(accessToken, { ...actor, scopes, expiresAtMs: this.opts.now() + this.opts.tokenTtlSeconds * 1000 });
    return { access_token: accessToken, expires_in: this.opts.tokenTtlSeconds, token_type: 'Bearer' };
  }

  private pruneExpired(): void {
    const now = this.opts.now();
    for (const [token, info] of this.tokens) if (info.expiresAtMs <= now) this.tokens.delete(token);
    // With many users' live tokens nothing may expire: scan again only once the map has doubled.
    this.pruneAbove = Math.max(PRUNE_MIN, 2 * this.tokens.size);
  }

  /** The caller's principal if the request carries a live token, without judging it (for fault matching). */
  principalOf(req: Request): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const token = match?.[1] === undefined ? undefined : this.tokens.get(match[1]);
    return token && token.expiresAtMs > this.opts.now() ? token.principal : undefined;
  }

  /** Resolves the caller of an API request or throws the envelope Google would send. */
  authenticate(req: Request, access: 'read' | 'write'): Actor {
    const header = req.get('authorization');
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1] === undefined ? undefined : this.tokens.get(match[1]);
    if (!token || token.expiresAtMs <= this.opts.now()) {
      throw new ApiError(401, 'authError', header === undefined ? 'Login Required.' : 'Invalid Credentials', {
        locationType: 'header',
        location: 'Authorization',
      });
    }
    const allowed = access === 'read' ? READ_SCOPES : WRITE_SCOPES;
    if (!token.scopes.some((s) => allowed.includes(s))) {
      throw new ApiError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    }
    return { principal: token.principal, serviceAccount: token.serviceAccount };
  }
}
