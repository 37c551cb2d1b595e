export {
  CALENDAR_SCOPES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_CHANNEL_TTL_SECONDS,
  type GatewayObserver,
  type GoogleCallEvent,
  type GoogleGatewayConfig,
  type ServiceAccountCredentials,
} from './config.ts';
export { AccessTokens, MAX_CACHED_TOKENS } from './auth.ts';
export { DEFAULT_QUOTA_LIMITS, QuotaLimiter, type QuotaLimits } from './quota.ts';
export { DEFAULT_RETRY_POLICY, nextDelay, type RetryPolicy } from './retry.ts';
export { classifyGoogleError, GoogleApiError, type GoogleErrorKind, type GoogleSetupProblem } from './errors.ts';
export {
  GoogleCalendarGateway,
  type CalendarRef,
  type InsertEventOptions,
  type ListEventsOptions,
  type ListInstancesOptions,
  type ListEventsPage,
  type WatchChannel,
} from './gateway.ts';
export { googleEventIdFor } from './ids.ts';
export type { GoogleEvent } from './event.ts';
export {
  CHECK_SUMMARY_PREFIX,
  runGoogleSetupCheck,
  webhookProblem,
  type CheckGateway,
  type CheckStep,
  type CheckStepName,
  type CheckTarget,
  type GoogleSetupCheckOptions,
  type GoogleSetupCheckResult,
} from './check.ts';
