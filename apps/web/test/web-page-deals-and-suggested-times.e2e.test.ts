import { clientFor, type UserClient } from '@calsync/server/test/support/client.ts';
import { eventually, useSystem } from '@calsync/server/test/support/system.ts';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveChromium } from './support/chromium.ts';
import { useChromium } from './support/use-chromium.ts';

/**
 * The scheduling form's suggested times (calendar.findSlots over both reps' calendars) and the
 * CRM deal a meeting belongs to (links, kept in Google as private extended properties). Two reps
 * with their own calendars (domain-wide delegation); the built page served by the real server
 * (PostgreSQL, the emulator as Google), in Chromium, in Tokyo: +09:00 all year, so working hours
 * 09:00-17:00 there are 00:00-08:00 UTC and a page asking in UTC would get other times.
 */
const DOMAIN = 'deals-web.test';
const A = `rep.a@${DOMAIN}`;
const B = `rep.b@${DOMAIN}`;
/** A Workspace user of the domain who never connected a calendar. */
const NOBODY = `nobody@${DOMAIN}`;
const ZONE = 'Asia/Tokyo';

/** `YYYY-MM-DD` of the Monday three to four weeks from now: in the future, within the emulator's two years. */
const MONDAY = (() => {
  const d = new Date(Date.now() + 21 * 86_400_000);
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
})();
const TUESDAY = new Date(Date.parse(`${MONDAY}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
/** A wall-clock time in Tokyo as an instant. */
const tokyo = (day: string, time: string): Date => new Date(`${day}T${time}:00+09:00`);
/** What the page's suggestion buttons carry: each slot's start (ISO). */
const starts = (day: string, ...times: string[]) => times.map((t) => tokyo(day, t).toISOString());

const sys = useSystem({ env: { GOOGLE_WORKSPACE_DOMAINS: DOMAIN } });
const chromium = useChromium();
const users = {} as Record<'a' | 'b', UserClient>;
let page: Page;
/** Every findSlots request the page made (batched calls name each procedure in the path). */
const slotRequests: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  sys.emulator.control.addDomain(DOMAIN, { users: [A, B, NOBODY] });
  sys.emulator.registerServiceAccount(sys.key, { domainWideDelegation: [DOMAIN] });
  users.a = await clientFor(sys.app.url, 'user-a', { email: A });
  users.b = await clientFor(sys.app.url, 'user-b', { email: B });
  await users.a.client.calendar.connect.mutate();
  await users.b.client.calendar.connect.mutate();

  // Monday in Tokyo: A is busy 09:00-10:00 (scheduled through the API), B 10:30-11:30 (made by a
  // person in Google Calendar; the push sync brings it into calsync's copy).
  await users.a.client.calendar.createEvent.mutate({ summary: 'A: pipeline review', startTime: tokyo(MONDAY, '09:00'), endTime: tokyo(MONDAY, '10:00'), createMeetLink: false });
  sys.emulator.control.createEvent(B, { summary: 'B: call with Globex', start: { dateTime: tokyo(MONDAY, '10:30').toISOString() }, end: { dateTime: tokyo(MONDAY, '11:30').toISOString() } });
  await eventually(async () => {
    const week = await users.b.client.calendar.listEvents.query({ timeMin: tokyo(MONDAY, '00:00'), timeMax: tokyo(TUESDAY, '00:00') });
    expect(week.items.map((e) => e.summary)).toEqual(['B: call with Globex']);
  });

  page = await chromium.newPage({ timezoneId: ZONE });
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.includes('calendar.findSlots')) slotRequests.push(req.url());
  });
  await page.goto(`${sys.app.url}/?week=${MONDAY}#token=${users.a.token}`);
  await page.locator('[data-live="live"]').waitFor();
});

/** The private extended properties of A's meeting as Google holds it. */
const inGoogle = (summary: string) => {
  const e = sys.emulator.control.listEvents(A).find((x) => x.summary === summary) as
    | { start?: { dateTime?: string }; end?: { dateTime?: string }; extendedProperties?: { private?: Record<string, string> } }
    | undefined;
  return { start: e?.start?.dateTime && new Date(e.start.dateTime).toISOString(), end: e?.end?.dateTime && new Date(e.end.dateTime).toISOString(), links: e?.extendedProperties?.private };
};

/** The starts of the suggestions on screen once they are settled (null while asking). */
async function suggested(region: Locator): Promise<string[] | null> {
  if ((await region.getAttribute('aria-busy')) !== 'false') return null;
  return region.locator('.slots button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-start') ?? ''));
}

const settled = { timeout: 5000 };

describe.skipIf(!haveChromium)('suggested times and deals on the web page', () => {
  it("suggests the next times free for the rep and the colleagues they add, in the browser's time zone, and schedules a picked one with its deal", async () => {
    await page.getByRole('button', { name: 'Schedule meeting' }).click();
    const form = page.getByRole('form', { name: 'Schedule a meeting' });
    const suggestions = form.getByRole('region', { name: 'Suggested times' });
    await form.locator('input[name=date]').fill(MONDAY);

    // A alone, 30 minutes (the default): from the end of A's 09:00 meeting; B's call is not A's.
    await expect.poll(() => suggested(suggestions), settled).toEqual(starts(MONDAY, '10:00', '10:30', '11:00', '11:30', '12:00', '12:30'));
    expect(await suggestions.locator('.slots button').first().textContent()).toMatch(/^Mon \d{1,2} \w{3}, 10:00–10:30$/);

    // B added, typed key by key: asked once the typing stops, not per keystroke.
    const before = slotRequests.length;
    await suggestions.locator('input[name=colleagues]').pressSequentially(B, { delay: 25 });
    await expect.poll(() => suggested(suggestions), settled).toEqual(starts(MONDAY, '10:00', '11:30', '12:00', '12:30', '13:00', '13:30'));
    expect(slotRequests.length - before).toBeGreaterThanOrEqual(1);
    // 20 keystrokes; a stall of the browser mid-typing may split them once or twice.
    expect(slotRequests.length - before).toBeLessThanOrEqual(3);
    expect(await suggestions.locator('p.muted').textContent()).toBe(`Free for you and ${B}, 09:00–17:00 Monday to Friday (${ZONE}).`);

    // A colleague without a connected calendar: the API's refusal, under the field.
    await suggestions.locator('input[name=colleagues]').fill(`${B}, ${NOBODY}`);
    await suggestions.locator('.field-error', { hasText: `${NOBODY} has no connected calendar: their free time is unknown` }).waitFor();
    expect(await suggestions.locator('.slots button').count()).toBe(0);
    await chromium.screenshot(page, '13-suggested-times-unknown-colleague.png');
    await suggestions.locator('input[name=colleagues]').fill(B);

    // An hour: B's call rules out 10:00, and the day ends at 17:00 in Tokyo.
    await form.locator('select[name=duration]').selectOption('60');
    await expect.poll(() => suggested(suggestions), settled).toEqual(starts(MONDAY, '11:30', '12:30', '13:30', '14:30', '15:30').concat(starts(TUESDAY, '09:00')));
    expect(await suggestions.locator('.field-error').count()).toBe(0);

    // Picking one fills the date and start, and leaves the list as it was.
    await suggestions.locator(`button[data-start="${tokyo(MONDAY, '12:30').toISOString()}"]`).click();
    expect(await form.locator('input[name=date]').inputValue()).toBe(MONDAY);
    expect(await form.locator('input[name=time]').inputValue()).toBe('12:30');
    expect(await suggestions.locator('.slots button[aria-pressed="true"]').getAttribute('data-start')).toBe(tokyo(MONDAY, '12:30').toISOString());
    await expect.poll(() => suggested(suggestions), settled).toEqual(starts(MONDAY, '11:30', '12:30', '13:30', '14:30', '15:30').concat(starts(TUESDAY, '09:00')));
    await chromium.screenshot(page, '14-suggested-times.png');

    // A deal id the API refuses: its message under the field, nothing made in Google.
    await form.locator('input[name=summary]').fill('Demo for Initech');
    await form.locator('input[name=dealId]').fill('deal 42');
    await form.getByRole('button', { name: 'Schedule meeting' }).click();
    await form.locator('label', { has: page.locator('input[name=dealId]') }).locator('.field-error', { hasText: 'may contain only letters, digits and . _ : -' }).waitFor();
    expect(inGoogle('Demo for Initech').start).toBeUndefined();

    await form.locator('input[name=dealId]').fill('deal-42');
    await form.getByRole('button', { name: 'Schedule meeting' }).click();
    const panel = page.getByRole('region', { name: 'Meeting' });
    await panel.getByRole('status').filter({ hasText: 'Meeting scheduled' }).waitFor();
    expect(await panel.locator('[data-link="deal"] dd').textContent()).toBe('deal-42');
    // Google holds the meeting at the picked time, its deal as a private extended property.
    expect(inGoogle('Demo for Initech')).toEqual({
      start: tokyo(MONDAY, '12:30').toISOString(),
      end: tokyo(MONDAY, '13:30').toISOString(),
      links: expect.objectContaining({ crmDealId: 'deal-42' }),
    });
    await page.locator('.week .event', { hasText: 'Demo for Initech' }).waitFor();
  });

  it("shows a meeting's deal, company and contacts; changing or clearing the deal on the page keeps the others, in Google too", async () => {
    const made = await users.a.client.calendar.createEvent.mutate({
      summary: 'Negotiation with Globex',
      startTime: tokyo(TUESDAY, '14:00'),
      endTime: tokyo(TUESDAY, '15:00'),
      createMeetLink: false,
      links: { dealId: 'deal-7', contactIds: ['c-1', 'c-2'], companyId: 'co-9' },
    });
    // Made elsewhere (the CRM): the open page hears of it live.
    await page.locator('.week .event', { hasText: 'Negotiation with Globex' }).click();
    const panel = page.getByRole('region', { name: 'Meeting' });
    const links = panel.getByRole('definition');
    await panel.locator('h2', { hasText: 'Negotiation with Globex' }).waitFor();
    expect(await panel.locator('.crm-links dt').allTextContents()).toEqual(['Deal', 'Company', 'Contacts']);
    expect(await links.allTextContents()).toEqual(['deal-7', 'co-9', 'c-1, c-2']);
    await chromium.screenshot(page, '15-meeting-with-deal.png');

    await panel.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit meeting' });
    expect(await form.locator('input[name=dealId]').inputValue()).toBe('deal-7');
    // Suggestions are for new meetings (the meeting's own time would count as busy).
    expect(await form.getByRole('region', { name: 'Suggested times' }).count()).toBe(0);
    await form.locator('input[name=dealId]').fill('deal-8');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await panel.locator('[data-link="deal"] dd', { hasText: 'deal-8' }).waitFor();
    expect(await links.allTextContents()).toEqual(['deal-8', 'co-9', 'c-1, c-2']);
    expect(inGoogle('Negotiation with Globex').links).toMatchObject({ crmDealId: 'deal-8', crmContactIds: 'c-1,c-2', crmCompanyId: 'co-9' });

    await panel.getByRole('button', { name: 'Edit' }).click();
    await form.locator('input[name=dealId]').fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => links.allTextContents(), settled).toEqual(['co-9', 'c-1, c-2']);
    expect(inGoogle('Negotiation with Globex').links).toMatchObject({ crmDealId: '', crmContactIds: 'c-1,c-2', crmCompanyId: 'co-9' });
    expect((await users.a.client.calendar.getEvent.query({ id: made.id })).links).toEqual({ dealId: null, contactIds: ['c-1', 'c-2'], companyId: 'co-9' });

    // A meeting linked to nothing shows no links.
    await page.locator('.week .event', { hasText: 'A: pipeline review' }).click();
    await panel.locator('h2', { hasText: 'A: pipeline review' }).waitFor();
    expect(await panel.locator('.crm-links').count()).toBe(0);

    expect(chromium.errors).toEqual([]);
  });
});
