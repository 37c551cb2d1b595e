import { DEFAULT_SYNC_PACING } from '@calsync/calendar';
import { DEFAULT_QUOTA_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY_POLICY, MAX_CHANNEL_TTL_SECONDS } from '@calsync/google';
import { DEFAULT_JOBS_CONFIG } from '@calsync/jobs';
import { expect, it } from 'vitest';
import { loadConfig } from './config.ts';

// A setting a package uses has its default in that package only: unset, the config carries it.
it('takes the default of each setting a package uses from that package', () => {
  const c = loadConfig({});
  expect(c.google).toMatchObject({
    timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    retry: { maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts, maxTotalMs: DEFAULT_RETRY_POLICY.maxTotalMs },
    quota: DEFAULT_QUOTA_LIMITS,
  });
  expect(c.jobs.config).toEqual(DEFAULT_JOBS_CONFIG);
  expect(c.sync).toMatchObject({ ...DEFAULT_SYNC_PACING, channelTtlSeconds: MAX_CHANNEL_TTL_SECONDS });
});

it('still reads durations in words when they are set', () => {
  const c = loadConfig({ JOB_CLEANUP_EVERY: '2 days', GOOGLE_RETRY_MAX_TOTAL: '45 seconds', SHUTDOWN_GRACE: '500ms' });
  expect(c.jobs.config.every.cleanup).toBe(2 * 86_400_000);
  expect(c.google.retry.maxTotalMs).toBe(45_000);
  expect(c.shutdownGraceMs).toBe(500);
  expect(() => loadConfig({ JOB_RECONCILE_EVERY: 'soon' })).toThrow(/JOB_RECONCILE_EVERY: must be a duration/);
  expect(() => loadConfig({ HEALTH_MAX_SYNC_AGE: '' })).toThrow(/HEALTH_MAX_SYNC_AGE/);
});
