import { at, useSystem } from '@calsync/server/test/support/system.ts';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveChromium } from './support/chromium.ts';
import { useChromium } from './support/use-chromium.ts';

/**
 * The web page as a sales rep uses it: the built page served by the real server (PostgreSQL,
 * the Google emulator), in Debian's Chromium driven by playwright-core (no browser download).
 * The server here serves one shared calendar (no Workspace domains): every user sees it.
 */
/** A fixed week far from "now" (Monday 10 March 2031), so the test never depends on today's date. */
const WEEK = '2031-03-10';

// In this order: the browser is closed before the server is.
const sys = useSystem();
const chromium = useChromium();
let page: Page;
beforeAll(async () => {
  if (haveChromium) page = await chromium.newPage();
});

/** The event's box in the week grid, found by its title. */
const eventBox = (title: string) => page.locator('.week .event', { hasText: title });

describe.skipIf(!haveChromium)('the web page (built, served by the server, in Chromium)', () => {
  it('loads under the server’s security headers and shows the week from the typed client', async () => {
    // A week that already holds some meetings, as a rep's would.
    const seed: Array<[string, string, number]> = [
      ['Pipeline review', '2031-03-10T09:00:00Z', 60],
      ['Demo: Globex', '2031-03-10T13:30:00Z', 45],
      ['Call with Initech', '2031-03-12T10:00:00Z', 30],
      ['Team standup', '2031-03-13T08:30:00Z', 15],
      ['Contract walkthrough', '2031-03-14T15:00:00Z', 60],
    ];
    for (const [summary, start, minutes] of seed) {
      await sys.client.calendar.createEvent.mutate({
        summary,
        startTime: at(start),
        endTime: new Date(at(start).getTime() + minutes * 60_000),
        attendees: ['buyer@example.com'],
      });
    }
    // The token rides in the fragment (never sent to the server) and leaves the address bar.
    const res = await page.goto(`${sys.app.url}/?week=${WEEK}#token=${sys.token}`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await eventBox('Pipeline review').waitFor();
    expect(await page.locator('.week-label').textContent()).toBe('10 – 16 Mar 2031');
    expect(page.url()).not.toContain(sys.token);
    // The header says whose calendar this is: the one shared calendar, connected.
    expect(await page.locator('.signed-in .who').textContent()).toBe(`Shared calendar ${sys.calendarId}`);
    expect(await page.locator('.signed-in .state').getAttribute('data-state')).toBe('active');
    await page.locator('[data-live="live"]').waitFor();
    // Navigating weeks: next is empty, back again shows them.
    await page.getByRole('button', { name: 'Next week' }).click();
    await page.locator('.week-label', { hasText: '17 – 23 Mar 2031' }).waitFor();
    expect(await page.locator('.week .event').count()).toBe(0);
    await page.getByRole('button', { name: 'Previous week' }).click();
    await eventBox('Contract walkthrough').waitFor();
  });

  it('schedules a meeting with a Meet link, showing the API’s message for a bad attendee first', async () => {
    await page.getByRole('button', { name: 'Schedule meeting' }).click();
    const form = page.getByRole('form', { name: 'Schedule a meeting' });
    await form.locator('input[name=summary]').fill('Intro call with Acme');
    await form.locator('input[name=date]').fill('2031-03-11');
    await form.locator('input[name=time]').fill('14:00');
    await form.locator('select[name=duration]').selectOption('60');
    await form.locator('textarea[name=attendees]').fill('buyer@acme.example, not-an-email');
    expect(await form.locator('input[name=meet]').isChecked()).toBe(true);
    await form.getByRole('button', { name: 'Schedule meeting' }).click();
    await form.locator('.field-error', { hasText: 'not-an-email: must be an email address' }).waitFor();
    expect(sys.googleEvents().some((e) => e.summary === 'Intro call with Acme')).toBe(false);

    await form.locator('textarea[name=attendees]').fill('buyer@acme.example');
    await form.getByRole('button', { name: 'Schedule meeting' }).click();
    const meet = page.locator('.event-panel .meet-link');
    await meet.waitFor();
    expect(await meet.textContent()).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    await page.locator('.event-panel', { hasText: 'Meeting scheduled' }).waitFor();
    await eventBox('Intro call with Acme').waitFor();
    await chromium.screenshot(page, '01-scheduled.png');
  });

  it('moves a meeting on the open page, without a reload, when a person changes it in Google', async () => {
    await sys.client.calendar.watch.mutate();
    await sys.settle();
    const created = (await sys.client.calendar.listEvents.query({ timeMin: at('2031-03-10T00:00:00Z'), timeMax: at('2031-03-17T00:00:00Z') })).items.find(
      (e) => e.summary === 'Intro call with Acme',
    );
    expect(created).toBeDefined();
    // Anything set on window survives only if the page is not reloaded.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    const t0 = Date.now();
    sys.emulator.control.editEvent(sys.calendarId, created?.googleEventId ?? '', {
      summary: 'Intro call (moved in Google)',
      start: { dateTime: '2031-03-13T11:00:00Z' },
      end: { dateTime: '2031-03-13T12:00:00Z' },
    });
    // Thursday's column (getDay() = 4) now shows it; Tuesday's no longer does.
    await page.locator('.day[data-day="4"] .event', { hasText: 'Intro call (moved in Google)' }).waitFor({ timeout: 1000 });
    const elapsed = Date.now() - t0;
    expect(await page.locator('.day[data-day="2"] .event', { hasText: 'Intro call' }).count()).toBe(0);
    expect(await page.evaluate(() => 'notReloaded' in globalThis)).toBe(true);
    expect(elapsed).toBeLessThan(1000);
    await chromium.screenshot(page, '02-moved-live.png');
  });

  it('says "changed in Google meanwhile" when a stale edit is saved, and saves after a reload', async () => {
    await eventBox('Call with Initech').click();
    await page.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit meeting' });
    await form.locator('input[name=summary]').fill('Call with Initech (agenda sent)');

    const event = (await sys.client.calendar.listEvents.query({ timeMin: at('2031-03-10T00:00:00Z'), timeMax: at('2031-03-17T00:00:00Z') })).items.find(
      (e) => e.summary === 'Call with Initech',
    );
    sys.emulator.control.editEvent(sys.calendarId, event?.googleEventId ?? '', { location: 'Room 4 (set in Google)' });
    // The live update arrives while the rep is still typing: the page warns before saving.
    await page.locator('.notice', { hasText: 'just changed in Google' }).waitFor({ timeout: 2000 });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.locator('.error', { hasText: 'changed in Google meanwhile' }).waitFor();
    await chromium.screenshot(page, '03-stale-edit.png');

    await page.getByRole('button', { name: 'Reload it' }).click();
    const fresh = page.getByRole('form', { name: 'Edit meeting' });
    await fresh.locator('input[name=summary]').fill('Call with Initech (agenda sent)');
    await fresh.getByRole('button', { name: 'Save changes' }).click();
    await eventBox('Call with Initech (agenda sent)').waitFor();
    expect(sys.googleEvents().find((e) => e.id === event?.googleEventId)?.summary).toBe('Call with Initech (agenda sent)');
  });

  it('cancels a meeting through the page: it leaves the week, and Google', async () => {
    await eventBox('Demo: Globex').click();
    await page.getByRole('button', { name: 'Cancel meeting' }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await eventBox('Demo: Globex').waitFor({ state: 'detached' });
    expect(sys.googleEvents().some((e) => e.summary === 'Demo: Globex')).toBe(false);
    await chromium.screenshot(page, '04-cancelled.png');
    expect(chromium.errors).toEqual([]);
    expect(chromium.requests.filter((url) => url.includes(sys.token))).toEqual([]);
  });
});
