import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { GoogleApiError } from './errors.ts';
import type { CalendarRef, GoogleCalendarGateway } from './gateway.ts';
import { googleEventIdFor } from './ids.ts';

/**
 * `pnpm check:google`: one short round against whatever Google the gateway points at, so that an
 * operator setting up a deployment learns what works and, for each known set-up mistake, what to
 * change. It makes one far-future test meeting per calendar and removes it (and its watch channel)
 * again whatever happens; the messages are the gateway's classified errors (errors.ts), which are
 * the same ones the running service reports.
 */

/** Whose calendar one round runs on. */
export interface CheckTarget extends CalendarRef {
  /** Who the service acts as, as shown to the operator: the user, or the service account itself. */
  actingAs: string;
}

export type CheckStepName = 'token' | 'api' | 'insert' | 'read' | 'patch' | 'watch' | 'delete' | 'stop' | 'cleanup';

export interface CheckStep {
  name: CheckStepName;
  target: CheckTarget;
  /** What was checked, for a person ("token for rep@acme.com"). */
  title: string;
  outcome: 'pass' | 'fail' | 'skip';
  durationMs: number;
  /** pass: what was seen (the Meet link); fail: what to change; skip: why. */
  detail: string | undefined;
  /** The classified failure, when Google refused. */
  error: GoogleApiError | undefined;
}

export interface GoogleSetupCheckResult {
  passed: boolean;
  steps: CheckStep[];
  /** What could not be removed, to remove by hand. */
  leftovers: string[];
}

/** The gateway calls a round makes (a narrower type keeps the check honest about what it touches). */
export type CheckGateway = Pick<
  GoogleCalendarGateway,
  'checkAccess' | 'listEvents' | 'insertEvent' | 'getEvent' | 'patchEvent' | 'deleteEvent' | 'watchEvents' | 'stopChannel'
>;

export interface GoogleSetupCheckOptions {
  gateway: CheckGateway;
  targets: CheckTarget[];
  /**
   * The address push notifications would go to (the service's webhook under WEBHOOK_BASE_URL);
   * undefined when WEBHOOK_BASE_URL is not set. Anything but a public https URL skips the watch.
   */
  notificationUrl: string | undefined;
  /** Told about each step as soon as it is over (the CLI prints it). */
  onStep?: ((step: CheckStep) => void) | undefined;
  now?: () => Date;
}

/** The test event lives in this year, far from anyone's real meetings. */
const TEST_YEAR = 2099;
/** A channel the check could not stop dies by itself this soon. */
const CHANNEL_TTL_SECONDS = 600;
export const CHECK_SUMMARY_PREFIX = 'calsync check:google';

export async function runGoogleSetupCheck(opts: GoogleSetupCheckOptions): Promise<GoogleSetupCheckResult> {
  const steps: CheckStep[] = [];
  const leftovers: string[] = [];
  const report = (step: CheckStep) => {
    steps.push(step);
    opts.onStep?.(step);
  };
  const webhook = webhookProblem(opts.notificationUrl);
  for (const target of opts.targets) {
    await runRound(opts.gateway, target, { webhook, notificationUrl: opts.notificationUrl, now: opts.now ?? (() => new Date()), report, leftovers });
  }
  return { passed: steps.every((s) => s.outcome !== 'fail'), steps, leftovers };
}

/**
 * Why Google would not deliver to `url` (so the watch step is skipped), or undefined when it is a
 * public https URL. Google needs https with a publicly trusted certificate on a host it can reach.
 */
export function webhookProblem(url: string | undefined): string | undefined {
  if (url === undefined) return 'WEBHOOK_BASE_URL is not set';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'WEBHOOK_BASE_URL is not a public https URL';
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const local = host === 'localhost' || /\.(localhost|local|internal|lan|home\.arpa)$/.test(host) || !host.includes('.') || isPrivateAddress(host);
  if (parsed.protocol !== 'https:' || local) return 'WEBHOOK_BASE_URL is not a public https URL';
  return undefined;
}

function isPrivateAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (family === 6) return host === '::1' || host === '::' || /^(fc|fd|fe8|fe9|fea|feb)/.test(host);
  return false;
}

interface RoundContext {
  webhook: string | undefined;
  notificationUrl: string | undefined;
  now: () => Date;
  report: (step: CheckStep) => void;
  leftovers: string[];
}

/** A step failed: the round stops there (its error has been reported). */
class StepFailed extends Error {}

/**
 * One calendar's round: token, API, a meeting with Meet, read, patch, watch, delete, stop. A failure
 * ends the round, except Meet being refused: then a plain event stands in, so the rest is still
 * checked. Whatever was made is removed in `finally`.
 */
async function runRound(gateway: CheckGateway, target: CheckTarget, ctx: RoundContext): Promise<void> {
  const ref: CalendarRef = { calendarId: target.calendarId, subject: target.subject };
  const step = async <T>(name: CheckStepName, title: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T> => {
    const t0 = performance.now();
    try {
      const value = await fn();
      ctx.report({ name, target, title, outcome: 'pass', durationMs: performance.now() - t0, detail: describe?.(value), error: undefined });
      return value;
    } catch (err) {
      ctx.report({ name, target, title, outcome: 'fail', durationMs: performance.now() - t0, detail: explain(name, target, err), error: err instanceof GoogleApiError ? err : undefined });
      throw new StepFailed(title, { cause: err });
    }
  };

  const now = ctx.now();
  const summary = `${CHECK_SUMMARY_PREFIX} ${now.toISOString()}`;
  const day = randomDay(TEST_YEAR);
  const eventId = `check${googleEventIdFor({ userId: 'check', calendarId: target.calendarId })}`;
  /** An insert was sent: the event may exist until the delete succeeds. */
  let mayExist = false;
  let channel: { id: string; resourceId: string } | undefined;

  try {
    await step('token', `token for ${target.actingAs}`, () => gateway.checkAccess(target.subject));
    await step('api', `Calendar API reachable: calendar ${target.calendarId}`, () => gateway.listEvents(ref, { maxResults: 1 }));

    const body = {
      summary,
      description: 'Made by `pnpm check:google` to test the Google Calendar set-up; it deletes it again within seconds. Safe to delete.',
      start: { dateTime: `${day}T12:00:00Z` },
      end: { dateTime: `${day}T12:30:00Z` },
      // Never shows the person as busy, should it outlive the check.
      transparency: 'transparent',
    };
    // Our own id makes the insert idempotent: should a retried insert meet the first one (409), that
    // event is ours, and a timed-out insert that landed anyway is still found and removed below.
    const insert = async (createMeetLink: boolean) => {
      mayExist = true;
      try {
        return await gateway.insertEvent(ref, body, { id: eventId, createMeetLink, sendUpdates: 'none' });
      } catch (err) {
        if (err instanceof GoogleApiError && err.kind === 'conflict') return gateway.getEvent(ref, eventId);
        throw err;
      }
    };
    let insertedWithMeet = true;
    try {
      await step('insert', `create a meeting with Meet on ${day}`, () => insert(true), describeMeet);
    } catch (err) {
      const refused = err instanceof StepFailed && err.cause instanceof GoogleApiError && err.cause.setupProblem === 'meet_needs_delegation';
      if (!refused) throw err;
      insertedWithMeet = false;
      await step('insert', `create a meeting without Meet on ${day} (to check the rest)`, () => insert(false));
    }

    await step('read', 'read it back', async () => {
      const read = await gateway.getEvent(ref, eventId);
      if (read.summary !== summary) throw new Error(`Google returned a different summary ("${read.summary ?? ''}")`);
      return read;
    }, insertedWithMeet ? describeMeet : undefined);

    await step('patch', 'patch its summary', async () => {
      const patched = await gateway.patchEvent(ref, eventId, { summary: `${summary} (patched)` });
      if (patched.summary !== `${summary} (patched)`) throw new Error('Google did not apply the patch');
      return patched;
    });

    const address = ctx.notificationUrl;
    if (ctx.webhook !== undefined || address === undefined) {
      ctx.report({ name: 'watch', target, title: 'watch the calendar', outcome: 'skip', durationMs: 0, detail: ctx.webhook ?? 'WEBHOOK_BASE_URL is not set', error: undefined });
    } else {
      const opened = await step(
        'watch',
        `watch the calendar (notifications to ${address})`,
        () =>
          gateway.watchEvents(ref, {
            address,
            // Never compared by anyone: the channel is stopped at once. Random so it proves nothing.
            token: randomBytes(24).toString('base64url'),
            ttlSeconds: CHANNEL_TTL_SECONDS,
            channelId: `calsync-check-${randomUUID()}`,
          }),
        (c) => `channel ${c.channelId}`,
      );
      channel = { id: opened.channelId, resourceId: opened.resourceId };
    }

    await step('delete', 'cancel it (delete)', () => gateway.deleteEvent(ref, eventId));
    mayExist = false;

    if (channel) {
      const { id, resourceId } = channel;
      await step('stop', 'stop the channel', () => gateway.stopChannel(target.subject, id, resourceId));
      channel = undefined;
    }
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
  } finally {
    await cleanUp(gateway, target, ref, { eventId, summary, mayExist, channel }, ctx);
  }
}

/** Removes what a failed round left: the test event and the watch channel. */
async function cleanUp(
  gateway: CheckGateway,
  target: CheckTarget,
  ref: CalendarRef,
  left: { eventId: string; summary: string; mayExist: boolean; channel: { id: string; resourceId: string } | undefined },
  ctx: RoundContext,
): Promise<void> {
  if (!left.mayExist && !left.channel) return;
  const t0 = performance.now();
  const removed: string[] = [];
  const failed: string[] = [];
  if (left.channel) {
    try {
      await gateway.stopChannel(target.subject, left.channel.id, left.channel.resourceId);
      removed.push(`channel ${left.channel.id}`);
    } catch (err) {
      failed.push(`could not stop channel ${left.channel.id} (${message(err)}); it expires by itself within ${CHANNEL_TTL_SECONDS / 60} minutes`);
    }
  }
  if (left.mayExist) {
    try {
      await gateway.deleteEvent(ref, left.eventId);
      removed.push(`event ${left.eventId}`);
    } catch (err) {
      // Not there (the insert never landed) or already deleted: nothing is left.
      if (!(err instanceof GoogleApiError && (err.kind === 'gone' || err.kind === 'not_found'))) {
        const leftover = `event ${left.eventId} ("${left.summary}") in calendar ${target.calendarId}`;
        ctx.leftovers.push(leftover);
        failed.push(`could not delete ${leftover} (${message(err)}): delete it by hand`);
      }
    }
  }
  const durationMs = performance.now() - t0;
  if (removed.length === 0 && failed.length === 0) return;
  if (failed.length > 0) {
    const detail = [...removed.map((r) => `removed ${r}`), ...failed].join('; ');
    ctx.report({ name: 'cleanup', target, title: 'clean up after the failure', outcome: 'fail', durationMs, detail, error: undefined });
  } else {
    ctx.report({ name: 'cleanup', target, title: `clean up after the failure: removed ${removed.join(' and ')}`, outcome: 'pass', durationMs, detail: undefined, error: undefined });
  }
}

/** What the operator reads for a failed step: the classified message, with what only the check knows. */
function explain(name: CheckStepName, target: CheckTarget, err: unknown): string {
  const cause = err instanceof StepFailed ? err.cause : err;
  if (!(cause instanceof GoogleApiError)) return `unexpected error: ${message(cause)}`;
  if (name === 'api' && cause.kind === 'not_found') {
    return `Google knows no calendar ${target.calendarId} that ${target.actingAs} can see: check GOOGLE_CALENDAR_ID (or --calendar), or share the calendar with ${target.actingAs}.`;
  }
  if (name === 'api' && cause.kind === 'forbidden') {
    return `${cause.message} (${target.actingAs} may not read calendar ${target.calendarId}: share it with them, with "Make changes to events")`;
  }
  return cause.message;
}

function describeMeet(event: { hangoutLink?: string | null; conferenceData?: { createRequest?: { status?: { statusCode?: string | null } | null } | null } | null }): string | undefined {
  if (event.hangoutLink) return event.hangoutLink;
  const status = event.conferenceData?.createRequest?.status?.statusCode;
  return status === 'pending' ? 'Meet link pending (Google adds it shortly)' : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A random date (YYYY-MM-DD) in `year`: two runs on one calendar do not stack on one day. */
function randomDay(year: number): string {
  const start = Date.UTC(year, 0, 1);
  const days = (Date.UTC(year + 1, 0, 1) - start) / 86_400_000;
  return new Date(start + Math.floor(Math.random() * days) * 86_400_000).toISOString().slice(0, 10);
}
