import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, createTokenVerifier, MAX_REMEMBERED_TOKENS, rememberVerified, signToken, VERIFIED_TOKEN_TTL_MS } from '../src/auth.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';

describe('HS256 tokens', () => {
  const verify = createTokenVerifier({ jwtSecret: secret });

  it('accepts a valid token and returns its subject as the user', async () => {
    expect(await verify(await signToken(secret, 'user-7', { email: 'rep@acme.test' }))).toEqual({ id: 'user-7', email: 'rep@acme.test', emailVerified: true, admin: false });
  });

  it("trusts an email only when the token says it is verified, and lower-cases it", async () => {
    const unverified = await new SignJWT({ email: 'Rep@Acme.Test' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    const verified = await new SignJWT({ email: 'Rep@Acme.Test', email_verified: true }).setProtectedHeader({ alg: 'HS256' }).setSubject('u2').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    expect(await verify(unverified)).toMatchObject({ email: 'rep@acme.test', emailVerified: false });
    expect(await verify(verified)).toMatchObject({ email: 'rep@acme.test', emailVerified: true });
  });

  it('makes admins of tokens with the configured claim (a dotted path; a value or a list holding it)', async () => {
    const admins = createTokenVerifier({ jwtSecret: secret, adminClaim: { path: 'app_metadata.role', value: 'calendar-admin' } });
    const token = (claims: Record<string, unknown>) => signToken(secret, `u-${JSON.stringify(claims)}`, { claims });
    expect(await admins(await token({ app_metadata: { role: 'calendar-admin' } }))).toMatchObject({ admin: true });
    expect(await admins(await token({ app_metadata: { role: ['viewer', 'calendar-admin'] } }))).toMatchObject({ admin: true });
    expect(await admins(await token({ app_metadata: { role: 'viewer' } }))).toMatchObject({ admin: false });
    expect(await admins(await token({ role: 'calendar-admin' }))).toMatchObject({ admin: false });
    // Without the setting nobody is an admin.
    expect(await verify(await token({ app_metadata: { role: 'calendar-admin' } }))).toMatchObject({ admin: false });
  });

  it('rejects expired, foreign-signed, subject-less and garbage tokens', async () => {
    const expired = await signToken(secret, 'user-7', { expiresIn: '-5m' });
    const foreign = await signToken('another-secret-of-sufficient-length-000000', 'user-7');
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    // alg=none must never pass, whatever the payload says.
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"admin"}').toString('base64url')}.`;
    for (const token of [expired, foreign, noSub, unsigned, 'garbage']) expect(await verify(token)).toBeNull();
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createTokenVerifier({ jwtSecret: secret, issuer: 'crm', audience: 'calsync' });
    const key = new TextEncoder().encode(secret);
    const good = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('crm').setAudience('calsync').setExpirationTime('1h').sign(key);
    const wrongAud = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('crm').setAudience('other').setExpirationTime('1h').sign(key);
    expect(await strict(good)).toEqual({ id: 'u', email: undefined, emailVerified: false, admin: false });
    expect(await strict(wrongAud)).toBeNull();
  });
});

describe('JWKS tokens (e.g. Supabase, Auth0)', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies RS256 tokens against the key set, alongside an HS256 secret', async () => {
    const verify = createTokenVerifier({ jwksUrl, jwtSecret: secret });
    const rs = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('sb-user').setExpirationTime('1h').sign(privateKey);
    expect(await verify(rs)).toEqual({ id: 'sb-user', email: undefined, emailVerified: false, admin: false });
    expect(await verify(await signToken(secret, 'hs-user'))).toEqual({ id: 'hs-user', email: undefined, emailVerified: false, admin: false });
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('x').setExpirationTime('1h').sign(other.privateKey);
    expect(await verify(forged)).toBeNull();
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('%j -> %j', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });
});

describe('remembering verified tokens', () => {
  it('stops accepting a remembered token the moment it expires', async () => {
    let clock = Date.now();
    const verify = createTokenVerifier({ jwtSecret: secret }, { now: () => clock });
    const token = await signToken(secret, 'user-9', { expiresIn: '30s' });
    expect(await verify(token)).toEqual({ id: 'user-9', email: undefined, emailVerified: false, admin: false });
    clock += 29_000;
    expect(await verify(token)).toEqual({ id: 'user-9', email: undefined, emailVerified: false, admin: false });
    clock += 2_000;
    expect(await verify(token)).toBeNull();
  });

  it('verifies again after the remembering period, and forgets the oldest when full', async () => {
    let clock = 0;
    const calls: string[] = [];
    const verify = rememberVerified(async (token) => {
      calls.push(token);
      return token.startsWith('good') ? { user: { id: token }, expiresAt: undefined } : null;
    }, () => clock);
    await verify('good-1');
    await verify('good-1');
    expect(calls).toEqual(['good-1']);
    clock += VERIFIED_TOKEN_TTL_MS;
    expect(await verify('good-1')).toEqual({ id: 'good-1' });
    expect(calls).toEqual(['good-1', 'good-1']);
    // Invalid ones are asked every time.
    await verify('bad');
    await verify('bad');
    expect(calls.filter((c) => c === 'bad')).toHaveLength(2);
    // Bounded: filling it pushes out the oldest, which is then verified again.
    for (let i = 0; i < MAX_REMEMBERED_TOKENS; i++) await verify(`good-fill-${i}`);
    calls.length = 0;
    await verify('good-1');
    expect(calls).toEqual(['good-1']);
  });

  it('forgets expired tokens when asked, and keeps the others', async () => {
    let clock = 0;
    const calls: string[] = [];
    const verify = rememberVerified(async (token) => {
      calls.push(token);
      return { user: { id: token }, expiresAt: undefined };
    }, () => clock);
    await verify('early');
    clock += VERIFIED_TOKEN_TTL_MS / 2;
    await verify('late');
    clock += VERIFIED_TOKEN_TTL_MS / 2;
    verify.forgetExpired?.();
    calls.length = 0;
    // 'late' is still remembered (no new verification); 'early' was forgotten and is verified again.
    await verify('late');
    await verify('early');
    expect(calls).toEqual(['early']);
  });

  it('never remembers an invalid token as valid', async () => {
    const verify = createTokenVerifier({ jwtSecret: secret });
    const foreign = await signToken('another-secret-of-sufficient-length-000000', 'user-7');
    expect(await verify(foreign)).toBeNull();
    expect(await verify(foreign)).toBeNull();
  });
});
