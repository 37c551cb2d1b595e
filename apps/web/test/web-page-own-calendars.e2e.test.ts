import { clientFor, type UserClient } from '@calsync/server/test/support/client.ts';
import { at, useSystem } from '@calsync/server/test/support/system.ts';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveChromium } from './support/chromium.ts';
import { useChromium } from './support/use-chromium.ts';

/**
 * The web page of a team: each rep connects their own Google Workspace calendar (domain-wide
 * delegation) and sees only their own week; an admin sees every connected calendar, how it is
 * doing, and opens a rep's week. The built page, served by the real server (PostgreSQL, the
 * emulator as Google), in Debian's Chromium, one browser context per person.
 */
const DOMAIN = 'acme.test';
/** Allowed by this service, but Google's Admin console of beta.test never granted delegation. */
const BETA = 'beta.test';
const A = `rep.a@${DOMAIN}`;
const B = `rep.b@${DOMAIN}`;
const C = `rep.c@${DOMAIN}`;
const D = `rep.d@${DOMAIN}`;
const ADMIN = `boss@${DOMAIN}`;
/** Enough more reps that the admin's list needs a second page (it shows 25 at a time). */
const TEAM = Array.from({ length: 24 }, (_, i) => `team.${String(i + 1).padStart(2, '0')}@${DOMAIN}`);
/** A fixed week far from "now" (Monday 10 March 2031), so the test never depends on today's date. */
const WEEK = '2031-03-10';

/** What rep A's Google calendar holds before A ever opens the page. */
const A_IN_GOOGLE: Array<[string, string, string]> = [
  ['A: weekly pipeline review', '2031-03-10T09:00:00Z', '2031-03-10T10:00:00Z'],
  ['A: discovery call', '2031-03-12T10:00:00Z', '2031-03-12T11:00:00Z'],
  ['A: contract walkthrough', '2031-03-14T11:00:00Z', '2031-03-14T12:00:00Z'],
];

const sys = useSystem({
  env: {
    GOOGLE_WORKSPACE_DOMAINS: `${DOMAIN},${BETA}`,
    AUTH_ADMIN_CLAIM: 'app_metadata.role',
    AUTH_ADMIN_VALUE: 'calendar-admin',
    // The renewal job puts a calendar whose user was suspended into `error`, as in production.
    // Channels live an hour and are renewed two hours ahead: every run renews every channel.
    JOBS_ENABLED: 'true',
    WATCH_CHANNEL_TTL_SECONDS: '3600',
    CHANNEL_RENEW_BEFORE: '2 hours',
  },
});
const chromium = useChromium();
const users = {} as Record<'a' | 'b' | 'c' | 'admin' | 'ghost' | 'beta' | 'outsider' | 'nomail', UserClient>;

beforeAll(async () => {
  if (!haveChromium) return;
  sys.emulator.control.addDomain(DOMAIN, { users: [A, B, C, D, ADMIN, ...TEAM] });
  sys.emulator.control.addDomain(BETA, { users: [`rep@${BETA}`] });
  sys.emulator.registerServiceAccount(sys.key, { domainWideDelegation: [DOMAIN] });
  const as = (sub: string, email?: string, claims?: Record<string, unknown>) => clientFor(sys.app.url, sub, { ...(email ? { email } : {}), ...(claims ? { claims } : {}) });
  Object.assign(users, {
    a: await as('user-a', A),
    b: await as('user-b', B),
    c: await as('user-c', C),
    admin: await as('user-admin', ADMIN, { app_metadata: { role: 'calendar-admin' } }),
    // In an allowed domain, but no (longer a) Workspace user there.
    ghost: await as('user-ghost', `ghost@${DOMAIN}`),
    beta: await as('user-beta', `rep@${BETA}`),
    outsider: await as('user-x', 'someone@other.test'),
    nomail: await as('user-nomail'),
  });

  // Rep B works already, with a meeting in the week the test looks at; rep A has one in Google
  // that the page has never seen (the initial sync brings it).
  await users.b.client.calendar.connect.mutate();
  await users.b.client.calendar.createEvent.mutate({ summary: 'B: pipeline review with Globex', startTime: at('2031-03-11T09:00:00Z'), endTime: at('2031-03-11T10:00:00Z') });
  for (const [summary, start, end] of A_IN_GOOGLE) sys.emulator.control.createEvent(A, { summary, start: { dateTime: start }, end: { dateTime: end } });
  // The rest of the team was connected by the admin.
  for (const email of [C, ...TEAM]) await users.admin.client.calendar.connect.mutate({ userEmail: email });
});

/** A page signed in as `user` (the token in the fragment, as `pnpm start` prints it), on the test's week. */
async function open(user: UserClient, query = `week=${WEEK}`): Promise<Page> {
  const page = await chromium.newPage();
  await page.goto(`${sys.app.url}/?${query}#token=${user.token}`);
  return page;
}

const eventBox = (page: Page, title: string) => page.locator('.week .event', { hasText: title });
const row = (page: Page, calendarId: string) => page.locator(`tr[data-calendar-id="${calendarId}"]`);

describe.skipIf(!haveChromium)('the web page, each rep with their own calendar', () => {
  let repA: Page;
  let admin: Page;

  it('shows a rep who has not connected why there is no week; connecting shows progress, then their own week', async () => {
    repA = await open(users.a);
    const panel = repA.getByRole('region', { name: 'Your Google calendar is not connected' });
    await panel.waitFor();
    expect(await repA.locator('.week').count()).toBe(0);
    expect(await repA.locator('.signed-in .who').textContent()).toBe(A);
    expect(await repA.locator('.signed-in .state').textContent()).toBe('Not connected');
    await chromium.screenshot(repA, '05-connect-my-calendar.png');

    // Slow Google answers make the progress visible.
    sys.emulator.control.setLatency(150);
    try {
      await panel.getByRole('button', { name: 'Connect my Google calendar' }).click();
      await panel.getByRole('button', { name: 'Connecting…' }).waitFor();
      expect(await panel.getByRole('button', { name: 'Connecting…' }).isDisabled()).toBe(true);
      await panel.getByRole('status').filter({ hasText: 'Checking access with Google' }).waitFor();
      await eventBox(repA, 'A: discovery call').waitFor();
    } finally {
      sys.emulator.control.setLatency(0);
    }
    expect(await repA.locator('.signed-in .state').getAttribute('data-state')).toBe('active');
    await repA.getByRole('status').filter({ hasText: 'Your Google calendar is connected' }).waitFor();
    await repA.locator('[data-live="live"]').waitFor();
    expect(repA.url()).not.toContain(users.a.token);
  });

  it("never shows another rep's meeting, and follows changes made in the rep's own Google calendar live", async () => {
    expect((await repA.locator('.week .event-title').allTextContents()).sort()).toEqual(A_IN_GOOGLE.map(([summary]) => summary).sort());
    // B books a meeting in the same week while A's page is open; then a person moves A's meeting
    // in Google. A's page follows its own change (so it re-read the week after B's), never B's.
    await users.b.client.calendar.createEvent.mutate({ summary: 'B: booked while A looks', startTime: at('2031-03-12T14:00:00Z'), endTime: at('2031-03-12T15:00:00Z') });
    const mine = sys.emulator.control.listEvents(A).find((e) => e.summary === 'A: discovery call');
    sys.emulator.control.editEvent(A, mine?.id ?? '', { summary: 'A: discovery call (moved in Google)', start: { dateTime: '2031-03-13T10:00:00Z' }, end: { dateTime: '2031-03-13T11:00:00Z' } });
    await repA.locator('.day[data-day="4"] .event', { hasText: 'A: discovery call (moved in Google)' }).waitFor({ timeout: 5000 });
    await sys.settle();
    expect(await repA.locator('.week .event', { hasText: 'B:' }).count()).toBe(0);
    expect(await repA.locator('.week .event').count()).toBe(A_IN_GOOGLE.length);

    // A meeting scheduled on the page lands in A's Google calendar, and nowhere else.
    await repA.getByRole('button', { name: 'Schedule meeting' }).click();
    const form = repA.getByRole('form', { name: 'Schedule a meeting' });
    await form.locator('input[name=summary]').fill('A: demo for Initech');
    await form.locator('input[name=date]').fill('2031-03-14');
    await form.locator('input[name=time]').fill('15:00');
    await form.getByRole('button', { name: 'Schedule meeting' }).click();
    await eventBox(repA, 'A: demo for Initech').waitFor();
    expect(sys.emulator.control.listEvents(A).map((e) => e.summary)).toContain('A: demo for Initech');
    expect(sys.emulator.control.listEvents(B).map((e) => e.summary)).not.toContain('A: demo for Initech');
    await repA.getByRole('button', { name: 'Dismiss' }).click();
    await chromium.screenshot(repA, '06-own-week.png');

    // Rep B's page shows B's meetings, none of A's.
    const repB = await open(users.b);
    await eventBox(repB, 'B: pipeline review with Globex').waitFor();
    await eventBox(repB, 'B: booked while A looks').waitFor();
    expect(await repB.locator('.week .event', { hasText: 'A:' }).count()).toBe(0);
    await repB.context().close();
  });

  it("says why a calendar cannot be connected, in the API's words or, when there is no button, in the page's", async () => {
    const refusal = async (user: UserClient) => {
      const page = await open(user);
      await page.getByRole('button', { name: 'Connect my Google calendar' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const shown = { reason: await alert.getAttribute('data-reason'), text: await alert.textContent() };
      await page.context().close();
      return shown;
    };
    expect(await refusal(users.ghost)).toEqual({ reason: 'unknown_user', text: expect.stringMatching(/Google knows no active Workspace user ghost@acme\.test/) });
    expect(await refusal(users.beta)).toEqual({ reason: 'delegation_not_allowed', text: expect.stringMatching(/Admin console of beta\.test.*domain-wide delegation/) });

    const cannot = async (user: UserClient) => {
      const page = await open(user);
      const notice = page.locator('[data-cannot-connect]');
      await notice.waitFor();
      expect(await page.getByRole('button', { name: 'Connect my Google calendar' }).count()).toBe(0);
      const shown = { why: await notice.getAttribute('data-cannot-connect'), text: await notice.textContent() };
      await page.context().close();
      return shown;
    };
    expect(await cannot(users.outsider)).toEqual({ why: 'domain', text: expect.stringMatching(/someone@other\.test is not in a Google Workspace domain/) });
    expect(await cannot(users.nomail)).toEqual({ why: 'no_email', text: expect.stringMatching(/no verified email address.*Ask an admin/) });
  });

  it('lists every connected calendar for an admin: state, what went wrong, channel, last sync, page by page, by state', async () => {
    // C's Workspace account is suspended: the next channel renewal fails for C alone.
    sys.emulator.control.suspendUser(C);
    const renewal = await sys.app.jobs?.runNow('renew-channels');
    expect(renewal).toMatchObject({ failedCount: 1, failed: [{ calendarId: C }] });

    admin = await open(users.admin);
    await admin.getByRole('region', { name: 'Your Google calendar is not connected' }).waitFor();
    await admin.getByRole('button', { name: 'Connected calendars' }).click();
    expect(admin.url()).toContain('view=calendars');
    await row(admin, A).waitFor();
    // One page of 25 (by calendar id: the reps, then the team), then "More" for the rest.
    expect(await admin.locator('tbody tr').count()).toBe(25);
    expect(await admin.locator('tbody tr').first().getAttribute('data-calendar-id')).toBe(A);
    expect(await row(admin, A).getAttribute('data-state')).toBe('active');
    // Columns: state, reason / last error, channel expires, last sync, last change from Google.
    const cells = row(admin, A).locator('td');
    expect(await cells.nth(1).textContent()).toBe('—');
    expect(await cells.nth(2).textContent()).toMatch(/^in (1 hour|\d+ minutes)$/);
    expect(await cells.nth(3).textContent()).toMatch(/^(\d+ minutes? ago|just now)$/);
    expect(await row(admin, C).getAttribute('data-state')).toBe('error');
    expect(await row(admin, C).locator('.state').textContent()).toBe('Sync problem');
    const cProblem = await row(admin, C).locator('.problem').textContent();
    expect(cProblem).toMatch(/\S/);
    expect(cProblem).toMatch(/Next try in/);
    await chromium.screenshot(admin, '07-admin-calendars.png');

    await admin.getByRole('button', { name: 'More' }).click();
    await row(admin, TEAM.at(-1) ?? '').waitFor();
    expect(await admin.locator('tbody tr').count()).toBe(3 + TEAM.length);
    expect(await admin.getByRole('button', { name: 'More' }).count()).toBe(0);

    await admin.locator('select[name=state]').selectOption('error');
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(1);
    expect(await admin.locator('tbody tr').getAttribute('data-calendar-id')).toBe(C);
    // Back to all states: the rows already read are still there.
    await admin.locator('select[name=state]').selectOption('all');
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(3 + TEAM.length);
  });

  it("connects a user's calendar by address for an admin, in the API's words when it cannot", async () => {
    const form = admin.getByRole('form', { name: 'Connect a user’s calendar' });
    await form.locator('input[name=userEmail]').fill('someone@other.test');
    await form.getByRole('button', { name: 'Connect', exact: true }).click();
    const refused = admin.locator('[role=alert][data-reason="domain_not_allowed"]');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/other\.test is not one of the Google Workspace domains/);

    await form.locator('input[name=userEmail]').fill(D);
    await form.getByRole('button', { name: 'Connect', exact: true }).click();
    await admin.getByRole('status').filter({ hasText: `Connected ${D}` }).waitFor();
    await row(admin, D).waitFor();
    expect(await row(admin, D).getAttribute('data-state')).toBe('active');
    expect(await admin.locator('[role=alert][data-reason]').count()).toBe(0);
  });

  it("opens a rep's week for an admin, with a banner; what the admin does there happens in that rep's calendar, live", async () => {
    await admin.getByRole('button', { name: `View week of ${B}` }).click();
    const banner = admin.locator('.viewing');
    await banner.waitFor();
    expect(await banner.textContent()).toContain(`Viewing ${B}’s calendar as admin`);
    expect(admin.url()).toContain(`calendar=${encodeURIComponent(B)}`);
    await eventBox(admin, 'B: pipeline review with Globex').waitFor();
    await admin.locator('[data-live="live"]').waitFor();
    expect(await admin.locator('.week .event', { hasText: 'A:' }).count()).toBe(0);
    // The header still says who is signed in: the admin, whose own calendar is not connected.
    expect(await admin.locator('.signed-in .who').textContent()).toBe(ADMIN);

    // A person changes B's meeting in Google: the admin's page follows B's calendar.
    const theirs = sys.emulator.control.listEvents(B).find((e) => e.summary === 'B: pipeline review with Globex');
    sys.emulator.control.editEvent(B, theirs?.id ?? '', { summary: 'B: pipeline review (renamed in Google)' });
    await eventBox(admin, 'B: pipeline review (renamed in Google)').waitFor({ timeout: 5000 });

    // Scheduled from the admin's page: in B's Google calendar; cancelled from it: gone from there.
    await admin.getByRole('button', { name: 'Schedule meeting' }).click();
    const form = admin.getByRole('form', { name: 'Schedule a meeting' });
    await form.locator('input[name=summary]').fill('Coaching: B and boss');
    await form.locator('input[name=date]').fill('2031-03-13');
    await form.locator('input[name=time]').fill('16:00');
    await form.getByRole('button', { name: 'Schedule meeting' }).click();
    await eventBox(admin, 'Coaching: B and boss').waitFor();
    expect(sys.emulator.control.listEvents(B).find((e) => e.summary === 'Coaching: B and boss')?.status).toBe('confirmed');
    await chromium.screenshot(admin, '08-admin-viewing-rep.png');
    await admin.getByRole('button', { name: 'Cancel meeting' }).click();
    await admin.getByRole('button', { name: 'Yes, cancel it' }).click();
    await eventBox(admin, 'Coaching: B and boss').waitFor({ state: 'detached' });
    expect(sys.emulator.control.listEvents(B).find((e) => e.summary === 'Coaching: B and boss')?.status ?? 'cancelled').toBe('cancelled');

    await admin.getByRole('button', { name: 'Back to connected calendars' }).click();
    await row(admin, B).waitFor();
    expect(await admin.locator('.viewing').count()).toBe(0);
  });

  it("disconnects a rep's calendar for an admin after asking; the rep is then asked to connect again", async () => {
    await admin.getByRole('button', { name: `Disconnect ${B}` }).click();
    const dialog = admin.getByRole('dialog', { name: `Disconnect ${B}?` });
    await dialog.waitFor();
    await chromium.screenshot(admin, '09-admin-disconnect.png');
    // Changing one's mind changes nothing.
    await dialog.getByRole('button', { name: 'Keep it connected' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row(admin, B).getAttribute('data-state')).toBe('active');

    await admin.getByRole('button', { name: `Disconnect ${B}` }).click();
    await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await admin.locator(`tr[data-calendar-id="${B}"][data-state="disconnected"]`).waitFor();
    expect(await row(admin, B).locator('.problem').textContent()).toContain(`disconnected by admin ${ADMIN}`);
    // Nothing follows a disconnected calendar in Google: it has no week to view, only a reconnect.
    expect(await row(admin, B).getByRole('button', { name: `Reconnect ${B}` }).count()).toBe(1);
    expect(await row(admin, B).getByRole('button', { name: `View week of ${B}` }).count()).toBe(0);

    const repB = await open(users.b);
    await repB.getByRole('region', { name: 'Your Google calendar is not connected' }).waitFor();
    await repB.context().close();
    // An admin's link to that week (a bookmark, a reload) now says why there is nothing to show.
    const bookmark = await open(users.admin, `calendar=${encodeURIComponent(B)}&week=${WEEK}`);
    await bookmark.getByRole('alert').filter({ hasText: `${B} is disconnected` }).waitFor();
    expect(await bookmark.locator('.viewing').textContent()).toContain(`Viewing ${B}’s calendar as admin`);
    await bookmark.context().close();
  });

  it('lets a rep disconnect their own calendar after asking, keeping its meetings if they choose', async () => {
    await repA.getByRole('button', { name: 'Disconnect', exact: true }).click();
    const dialog = repA.getByRole('dialog', { name: 'Disconnect your Google calendar?' });
    await dialog.waitFor();
    await dialog.getByRole('checkbox', { name: /Keep calsync’s copy/ }).check();
    await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await repA.getByRole('region', { name: 'Your Google calendar is not connected' }).waitFor();
    expect(await repA.locator('.signed-in .state').textContent()).toBe('Not connected');
    const kept = await sys.sql.query(`select count(*)::int as n from calendar_events where calendar_id = $1 and status <> 'cancelled'`, [A]);
    expect(kept.rows).toEqual([{ n: A_IN_GOOGLE.length + 1 }]);
    expect(sys.emulator.control.listEvents(A).filter((e) => e.status !== 'cancelled')).toHaveLength(A_IN_GOOGLE.length + 1);

    expect(chromium.errors).toEqual([]);
    const tokens = Object.values(users).map((u) => u.token);
    expect(chromium.requests.filter((url) => tokens.some((t) => url.includes(t)))).toEqual([]);
  });
});
