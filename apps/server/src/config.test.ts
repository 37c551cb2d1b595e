import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const key = { client_email: 'svc@proj.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n' };

describe('loadConfig', () => {
  it('runs with nothing set: emulator, embedded database, primary calendar', () => {
    const c = loadConfig({});
    expect(c.google.credentials).toBeUndefined();
    expect(c.database.url).toBeUndefined();
    expect(c.google.calendarId).toBe('primary');
    expect(c.port).toBe(3000);
  });

  it('refuses production without auth, Google credentials or DATABASE_URL', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL, GOOGLE_SERVICE_ACCOUNT_JSON, DATABASE_URL, WEBHOOK_SECRET, WEBHOOK_BASE_URL \(https/);
  });

  it('reads the service account key from JSON or from a file path', () => {
    expect(loadConfig({ GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(key) }).google.credentials?.client_email).toBe(key.client_email);
    const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'key.json');
    writeFileSync(file, JSON.stringify(key));
    expect(loadConfig({ GOOGLE_SERVICE_ACCOUNT_JSON: file }).google.credentials?.client_email).toBe(key.client_email);
  });

  it('names the bad variable without echoing secrets', () => {
    const bad = () => loadConfig({ GOOGLE_SERVICE_ACCOUNT_JSON: '{"private_key":"SECRET-MATERIAL"}' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/GOOGLE_SERVICE_ACCOUNT_JSON/);
    expect(bad).not.toThrow(/SECRET-MATERIAL/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(/AUTH_JWT_SECRET: must be at least 32/);
  });

  it('trusts no proxy unless told which: a number of hops, addresses, CIDRs or Express names, never all', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.168.1.7' }).http.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
    for (const bad of ['true', '*', '0', '11', '10.0.0.0/33', 'fd00::/129', '10.0.0/8', 'proxy.example.com', '10.0.0.0/8/1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });

  it('coalesces notification bursts by default and takes the burst timings from the environment', () => {
    expect(loadConfig({}).sync).toMatchObject({ minIntervalMs: 500, burstQuietMs: 250, burstMaxWaitMs: 1500, expectedQuietMs: 1000 });
    expect(loadConfig({ SYNC_MIN_INTERVAL_MS: '0', SYNC_BURST_QUIET_MS: '100', SYNC_BURST_MAX_WAIT_MS: '0', SYNC_EXPECTED_QUIET_MS: '0' }).sync).toMatchObject({
      minIntervalMs: 0,
      burstQuietMs: 100,
      burstMaxWaitMs: 0,
      expectedQuietMs: 0,
    });
    expect(() => loadConfig({ SYNC_BURST_QUIET_MS: '-1' })).toThrow(/SYNC_BURST_QUIET_MS/);
    expect(() => loadConfig({ SYNC_BURST_MAX_WAIT_MS: '2 seconds' })).toThrow(/SYNC_BURST_MAX_WAIT_MS/);
    expect(() => loadConfig({ SYNC_EXPECTED_QUIET_MS: '-5' })).toThrow(/SYNC_EXPECTED_QUIET_MS/);
  });
});
