/** Service-account registry, the OAuth token endpoint and Bearer-token checks on API calls. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { ApiError, invalidField } from './errors.ts';
import { isObject } from './event.ts';
import { GOOGLE_TOKEN_URI, toPublicKey, type ServiceAccountKey, type ServiceAccountPublicKey } from './keys.ts';
import { randomToken } from './ids.ts';
import { domainOf, type Directory } from './directory.ts';
import type { Gate } from './gate.ts';
import type { Actor } from './store.ts';

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
const WRITE_SCOPES = [CALENDAR_SCOPE, `${CALENDAR_SCOPE}.events`];
const READ_SCOPES = [...WRITE_SCOPES, `${CALENDAR_SCOPE}.readonly`, `${CALENDAR_SCOPE}.events.readonly`];
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PRUNE_MIN = 10_000;

/** Google's wording when the client may not act for that user (not delegated, or not for these scopes). */
export const UNAUTHORIZED_CLIENT =
  'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.';
/** Google's wording for a `sub` that is not an active user of its domain. */
export const INVALID_SUBJECT = 'Invalid email or User ID';

/**
 * One domain's grant in its Admin console (Security > API controls > Domain-wide delegation):
 * a domain name alone allows every scope; with `scopes`, every requested scope must be listed.
 */
export type DelegationGrant = string | { domain: string; scopes?: string[] };

export interface ServiceAccountOptions {
  /**
   * true: every domain grants every scope (the emulator's behaviour before domains). A list: only
   * these domains, each with every scope or the listed ones. false / omitted: no delegation.
   */
  domainWideDelegation?: boolean | DelegationGrant[];
  /** The Cloud project whose quota its calls use. Default: the key's project_id, else from client_email. */
  project?: string;
}

interface Account {
  email: string;
  kid: string;
  key: KeyObject;
  project: string;
  /** 'all': every domain, every scope. Else per domain: undefined = every scope, or the allowed scopes. */
  delegation: 'all' | Map<string, Set<string> | undefined>;
}

/** The principal of an API call and the project whose quota it uses. */
export interface Caller extends Actor {
  project: string;
}

interface AccessToken extends Caller {
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
  directory: Directory;
}

export class Auth {
  private byEmail = new Map<string, Account>();
  private byKid = new Map<string, Account>();
  private tokens = new Map<string, AccessToken>();
  private pruneAbove = PRUNE_MIN;

  constructor(private readonly opts: AuthOptions) {}

  register(key: ServiceAccountPublicKey | ServiceAccountKey, opts: ServiceAccountOptions = {}): void {
    const pub = toPublicKey(key);
    const email = pub.client_email.toLowerCase();
    const keyProject = 'project_id' in key && key.project_id !== '' ? key.project_id : undefined;
    const account: Account = {
      email,
      kid: pub.private_key_id,
      key: createPublicKey(pub.publicKeyPem),
      project: opts.project ?? keyProject ?? projectOf(email),
      delegation: delegationOf(opts.domainWideDelegation),
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
    let caller: Caller = { principal: account.email, serviceAccount: true, project: account.project };
    if (claims.sub !== undefined && claims.sub !== account.email) {
      caller = { principal: this.subject(account, claims.sub, scopes), serviceAccount: false, project: account.project };
    }
    if (this.tokens.size > this.pruneAbove) this.pruneExpired();
    const accessToken = `ya29.${randomToken(48)}`;
    this.tokens.set(accessToken, { ...caller, scopes, expiresAtMs: this.opts.now() + this.opts.tokenTtlSeconds * 1000 });
    return { access_token: accessToken, expires_in: this.opts.tokenTtlSeconds, token_type: 'Bearer' };
  }

  /**
   * The user a delegated assertion acts as. Like Google, the user is looked up first (their domain
   * holds the delegation grants), then that domain's grant must name this client and every scope.
   */
  private subject(account: Account, sub: unknown, scopes: string[]): string {
    const email = typeof sub === 'string' ? sub.toLowerCase() : '';
    const found = this.opts.directory.lookup(email);
    if (found !== 'active' && found !== 'undeclaredDomain') throw new OAuthError(400, 'invalid_grant', INVALID_SUBJECT);
    if (!granted(account, domainOf(email)!, scopes)) throw new OAuthError(401, 'unauthorized_client', UNAUTHORIZED_CLIENT);
    return email;
  }

  /** control.advanceClock: live tokens move along with the clock (a client judges expiry by its own clock). */
  shiftExpiries(ms: number): void {
    for (const info of this.tokens.values()) info.expiresAtMs += ms;
  }

  /** Suspended or removed users' tokens stop working at once. */
  revokeUsers(emails: string[]): void {
    const gone = new Set(emails);
    for (const [token, info] of this.tokens) if (!info.serviceAccount && gone.has(info.principal)) this.tokens.delete(token);
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
  authenticate(req: Request, access: 'read' | 'write'): Caller {
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
    return { principal: token.principal, serviceAccount: token.serviceAccount, project: token.project };
  }
}

function granted(account: Account, domain: string, scopes: string[]): boolean {
  if (account.delegation === 'all') return true;
  if (!account.delegation.has(domain)) return false;
  const allowed = account.delegation.get(domain);
  return allowed === undefined || scopes.every((s) => allowed.has(s));
}

function delegationOf(raw: ServiceAccountOptions['domainWideDelegation']): Account['delegation'] {
  if (raw === true) return 'all';
  const grants = new Map<string, Set<string> | undefined>();
  if (raw === undefined || raw === false) return grants;
  if (!Array.isArray(raw)) throw invalidField('domainWideDelegation must be a boolean or a list of domains.');
  for (const g of raw) {
    const grant = typeof g === 'string' ? { domain: g } : g;
    if (!isObject(grant) || typeof grant.domain !== 'string' || grant.domain === '') throw invalidField('Each delegation grant needs a domain.');
    if (grant.scopes !== undefined && (!Array.isArray(grant.scopes) || !grant.scopes.every((x) => typeof x === 'string'))) {
      throw invalidField('Delegation scopes must be a list of scope URLs.');
    }
    grants.set(grant.domain.toLowerCase(), grant.scopes === undefined ? undefined : new Set(grant.scopes));
  }
  return grants;
}

/** name@PROJECT.iam.gserviceaccount.com belongs to PROJECT; any other address to its own domain. */
function projectOf(email: string): string {
  const domain = domainOf(email) ?? email;
  const m = /^([^.]+)\.iam\.gserviceaccount\.com$/.exec(domain);
  return m?.[1] ?? domain;
}
