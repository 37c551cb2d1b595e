import { GaxiosError, type GaxiosOptionsPrepared, type GaxiosResponse } from 'gaxios';
import { describe, expect, it } from 'vitest';
import { classifyGoogleError } from '../src/errors.ts';

// Google's own error bodies for the set-up mistakes an operator meets, as published in Google's
// client-library issue threads (the URLs say where each was seen), classified as the gateway does.
// The emulator reproduces the token endpoint's bodies exactly; the API's newer `details` form
// (google.rpc.ErrorInfo) it does not, so that form is checked here.

function gaxiosError(status: number, data: unknown): GaxiosError {
  const config = { url: new URL('https://www.googleapis.com/calendar/v3/calendars/primary/events'), method: 'GET', headers: new Headers() } as GaxiosOptionsPrepared;
  const response = { status, data, headers: new Headers(), config, bodyUsed: true } as unknown as GaxiosResponse;
  return new GaxiosError(`Request failed with status code ${status}`, config, response);
}

const classify = (status: number, data: unknown, operation = 'events.list') => classifyGoogleError(gaxiosError(status, data), operation);

// github.com/taylorwilsdon/google_workspace_mcp/issues/126, github.com/allenporter/gcal_sync/pull/167
const API_DISABLED_MESSAGE =
  'Google Calendar API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.';

describe('classifyGoogleError: known set-up mistakes', () => {
  it('the Calendar API not enabled (legacy reason accessNotConfigured): names the project and the page to enable it', () => {
    const err = classify(403, {
      error: {
        code: 403,
        message: API_DISABLED_MESSAGE,
        errors: [{ message: API_DISABLED_MESSAGE, domain: 'usageLimits', reason: 'accessNotConfigured', extendedHelp: 'https://console.developers.google.com' }],
        status: 'PERMISSION_DENIED',
      },
    });
    expect([err.kind, err.setupProblem, err.retryable]).toEqual(['config', 'api_disabled', false]);
    expect(err.message).toContain('project 123456789012');
    expect(err.message).toContain('https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=123456789012');
  });

  // Constructed: Google's newer envelope reduced to its ErrorInfo, the part that names the project.
  it('the Calendar API not enabled (ErrorInfo SERVICE_DISABLED only): the project comes from the consumer', () => {
    const err = classify(403, {
      error: {
        code: 403,
        message: 'Google Calendar API is disabled.',
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            domain: 'googleapis.com',
            metadata: { service: 'calendar-json.googleapis.com', consumer: 'projects/987654321098' },
          },
        ],
      },
    });
    expect(err.setupProblem).toBe('api_disabled');
    expect(err.message).toContain('overview?project=987654321098');
  });

  // github.com/googleapis/google-api-php-client/issues/2214, google-auth-library-ruby/issues/210
  it('delegation not granted (401 unauthorized_client): says where in the Admin console, with the client ID and the scope', () => {
    const err = classify(
      401,
      {
        error: 'unauthorized_client',
        error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      },
      'token',
    );
    expect([err.kind, err.reason, err.setupProblem]).toEqual(['auth', 'unauthorized_client', 'delegation_missing']);
    expect(err.message).toMatch(/Security > Access and data control > API controls > Manage domain-wide delegation/);
    expect(err.message).toMatch(/client ID/);
    expect(err.message).toContain('https://www.googleapis.com/auth/calendar');
  });

  it('no such user (400 invalid_grant "Invalid email or User ID"): not blamed on the key', () => {
    const err = classify(400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' }, 'token');
    expect([err.kind, err.reason, err.setupProblem]).toEqual(['auth', 'invalid_grant', 'unknown_user']);
    expect(err.message).toMatch(/no active Google Workspace user/);
    expect(err.message).not.toMatch(/GOOGLE_SERVICE_ACCOUNT_JSON/);
  });

  // github.com/googleapis/google-cloud-python/issues/10004, google-github-actions/setup-gcloud/issues/76
  it('a deleted or replaced key (400 invalid_grant "Invalid JWT Signature."): says to make a new key', () => {
    const err = classify(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, 'token');
    expect([err.setupProblem, err.reason]).toEqual(['bad_key', 'invalid_grant']);
    expect(err.message).toMatch(/new JSON key/);
    expect(err.message).toMatch(/GOOGLE_SERVICE_ACCOUNT_JSON/);
  });

  it('a wrong clock (invalid_grant "Token must be a short-lived token"): says to fix the clock', () => {
    const err = classify(
      400,
      {
        error: 'invalid_grant',
        error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      },
      'token',
    );
    expect(err.setupProblem).toBe('clock_skew');
    expect(err.message).toMatch(/clock/);
  });

  // github.com/GeneralTask/task-manager/pull/2160
  it('a token without the calendar scope (403 insufficientPermissions / ACCESS_TOKEN_SCOPE_INSUFFICIENT)', () => {
    const err = classify(403, {
      error: {
        code: 403,
        message: 'Request had insufficient authentication scopes.',
        errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
            domain: 'googleapis.com',
            metadata: { method: 'calendar.v3.Events.List', service: 'calendar-json.googleapis.com' },
          },
        ],
      },
    });
    expect([err.kind, err.setupProblem]).toEqual(['config', 'scope_missing']);
    expect(err.message).toContain('https://www.googleapis.com/auth/calendar');
  });

  // The push guide's requirement; bodies as reported for events.watch (401, stackoverflow.com/q/40156523)
  // and for other Google watch APIs (400, 403), always with this reason and message.
  it.each([400, 401, 403])('a webhook domain Google will not deliver to (%i push.webhookUrlUnauthorized): says how to verify it', (status) => {
    const message = 'Unauthorized WebHook callback channel: https://crm.acme.com/webhooks/google';
    const err = classify(status, { error: { code: status, message, errors: [{ domain: 'global', reason: 'push.webhookUrlUnauthorized', message }] } }, 'events.watch');
    expect([err.kind, err.setupProblem, err.retryable]).toEqual(['config', 'webhook_domain_unverified', false]);
    expect(err.message).toContain('https://crm.acme.com/webhooks/google');
    expect(err.message).toMatch(/Search Console/);
    expect(err.message).toMatch(/Domain verification/);
  });

  it('a webhook that is not https (400 push.webhookUrlNotHttps)', () => {
    const message = 'WebHook callback must be HTTPS: http://crm.acme.com/webhooks/google';
    const err = classify(400, { error: { code: 400, message, errors: [{ domain: 'global', reason: 'push.webhookUrlNotHttps', message }] } }, 'events.watch');
    expect(err.setupProblem).toBe('webhook_not_https');
    expect(err.message).toMatch(/WEBHOOK_BASE_URL/);
  });

  // github.com/googleapis/google-api-php-client/issues/2077, google-api-dotnet-client/issues/2760
  it('Meet for a plain service account (400 invalid "Invalid conference type value.")', () => {
    const err = classify(
      400,
      { error: { errors: [{ domain: 'global', reason: 'invalid', message: 'Invalid conference type value.' }], code: 400, message: 'Invalid conference type value.' } },
      'events.insert',
    );
    expect([err.kind, err.setupProblem]).toEqual(['config', 'meet_needs_delegation']);
    expect(err.message).toMatch(/domain-wide delegation/);
  });

  it('a user with Calendar turned off (403 notACalendarUser)', () => {
    const message = 'The user must be signed up for Google Calendar.';
    const err = classify(403, { error: { errors: [{ domain: 'global', reason: 'notACalendarUser', message }], code: 403, message } });
    expect(err.setupProblem).toBe('no_calendar_service');
    expect(err.message).toMatch(/Calendar service on/);
  });

  it('leaves ordinary refusals alone: rate limits stay retryable, a plain 403 stays forbidden', () => {
    const limited = classify(403, { error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 403, message: 'Rate Limit Exceeded' } });
    expect([limited.kind, limited.setupProblem, limited.retryable]).toEqual(['rate_limited', undefined, true]);
    const denied = classify(403, { error: { errors: [{ domain: 'global', reason: 'forbidden', message: 'Forbidden' }], code: 403, message: 'Forbidden' } });
    expect([denied.kind, denied.setupProblem]).toEqual(['forbidden', undefined]);
  });
});
