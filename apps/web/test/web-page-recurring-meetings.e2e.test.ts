import { at, useSystem } from '@calsync/server/test/support/system.ts';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveChromium } from './support/chromium.ts';
import { useChromium } from './support/use-chromium.ts';

/**
 * Recurring meetings on the web page: scheduled with "Repeat weekly", marked in every week they
 * fall in, their rule in words, and each change or cancel asking which occurrences it is for.
 * The built page served by the real server (PostgreSQL, the emulator as Google), in Chromium.
 * Weeks in March 2027: the emulator expands an endless series about two years from now, as Google does.
 */
const WEEK = '2027-03-01';
/** The week grid's label for each week from WEEK on (the browser speaks en-GB, in UTC). */
const WEEKS = ['1 – 7 Mar 2027', '8 – 14 Mar 2027', '15 – 21 Mar 2027', '22 – 28 Mar 2027', '29 Mar – 4 Apr 2027'];
/** Weekly on Tuesdays at 10:00 UTC from 2 March. */
const TUESDAYS = ['2027-03-02T10:00:00.000Z', '2027-03-09T10:00:00.000Z', '2027-03-16T10:00:00.000Z', '2027-03-23T10:00:00.000Z', '2027-03-30T10:00:00.000Z'];
const fiveWeeks = { timeMin: at('2027-03-01T00:00:00Z'), timeMax: at('2027-04-05T00:00:00Z'), limit: 500 };

const sys = useSystem();
const chromium = useChromium();
let page: Page;
let shown = 0;
beforeAll(async () => {
  if (!haveChromium) return;
  // A one-off meeting in the first week: it must not look like a repeating one.
  await sys.client.calendar.createEvent.mutate({ summary: 'Demo: Globex', startTime: at('2027-03-03T14:00:00Z'), endTime: at('2027-03-03T15:00:00Z'), createMeetLink: false });
  page = await chromium.newPage();
  await page.goto(`${sys.app.url}/?week=${WEEK}#token=${sys.token}`);
  await page.locator('[data-live="live"]').waitFor();
});

/** Tuesday's meeting box in the week shown. */
const tuesday = () => page.locator('.day[data-day="2"] .event');

/** Moves to the `index`-th week from WEEK and waits until the page shows that week's meetings as they are now. */
async function showWeek(index: number): Promise<void> {
  while (shown !== index) {
    await page.getByRole('button', { name: shown < index ? 'Next week' : 'Previous week' }).click();
    shown += shown < index ? 1 : -1;
  }
  await expect.poll(() => page.locator('.week-label').textContent()).toBe(WEEKS[index]);
  await page.locator('.week[aria-busy="false"]').waitFor();
}

/** The series' occurrences as Google lists them (singleEvents), within the five weeks. */
async function inGoogle(): Promise<Array<{ start: string; summary: string }>> {
  return (await sys.googleOccurrences())
    .filter((e) => e.start >= TUESDAYS[0]! && e.start <= TUESDAYS.at(-1)! && e.summary !== 'Demo: Globex')
    .map((e) => ({ start: e.start, summary: e.summary }));
}

/** What our API lists in the five weeks (the one-off aside): when, what, and of which series. */
async function inApi() {
  return (await sys.client.calendar.listEvents.query(fiveWeeks)).items.filter((e) => e.summary !== 'Demo: Globex').map((e) => ({ start: e.startTime.toISOString(), summary: e.summary, series: e.recurringEventId }));
}

describe.skipIf(!haveChromium)('recurring meetings on the web page', () => {
  let seriesId: string;

  it('schedules a meeting with "Repeat weekly": it shows in the next weeks, marked, and its panel says "Every week on Tuesday"', async () => {
    await page.getByRole('button', { name: 'Schedule meeting' }).click();
    const form = page.getByRole('form', { name: 'Schedule a meeting' });
    await form.locator('input[name=summary]').fill('Pipeline review');
    // The option names the weekday it repeats on, following the date picked.
    await form.locator('input[name=date]').fill('2027-03-03');
    await form.getByRole('checkbox', { name: 'Repeat weekly on Wednesday' }).waitFor();
    await form.locator('input[name=date]').fill('2027-03-02');
    await form.locator('input[name=time]').fill('10:00');
    await form.getByRole('checkbox', { name: 'Repeat weekly on Tuesday' }).check();
    await form.getByRole('button', { name: 'Schedule meeting' }).click();

    const panel = page.getByRole('region', { name: 'Meeting' });
    await panel.getByRole('status').filter({ hasText: 'Meeting scheduled' }).waitFor();
    await panel.locator('.repeats', { hasText: 'Every week on Tuesday' }).waitFor();

    // Google holds one series: weekly on the start's weekday, in the browser's time zone.
    const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const series = sys.emulator.control.listEvents(sys.calendarId).filter((e) => e.recurrence);
    expect(series.map((e) => ({ summary: e.summary, recurrence: e.recurrence, start: e.start }))).toEqual([
      { summary: 'Pipeline review', recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=TU'], start: { dateTime: expect.stringMatching(/^2027-03-02T10:00:00/), timeZone: zone } },
    ]);
    seriesId = series[0]?.id ?? '';
    expect(await inApi()).toEqual(TUESDAYS.map((start) => ({ start, summary: 'Pipeline review', series: seriesId })));

    // Every week shows it on Tuesday, marked as repeating; the one-off meeting has no mark.
    await showWeek(0);
    await tuesday().filter({ hasText: 'Pipeline review' }).locator('.repeat-mark').waitFor();
    expect(await page.locator('.event', { hasText: 'Demo: Globex' }).locator('.repeat-mark').count()).toBe(0);
    expect(await page.locator('.event', { hasText: 'Demo: Globex' }).count()).toBe(1);
    for (const index of [1, 2, 3]) {
      await showWeek(index);
      expect(await page.locator('.week .event-title').allTextContents()).toEqual(['↻ Pipeline review']);
      expect(await tuesday().getByRole('img', { name: 'Repeats' }).count()).toBe(1);
    }
    await chromium.screenshot(page, '10-repeating-week.png');

    // Another occurrence's panel reads the rule from the API (getEvent), not from the scheduling answer.
    await tuesday().click();
    await panel.locator('.when', { hasText: '23 Mar' }).waitFor();
    await panel.locator('.repeats', { hasText: 'Every week on Tuesday' }).waitFor();
    expect(await panel.locator('.repeats').textContent()).toBe('↻ Every week on Tuesday');
    await panel.getByRole('button', { name: 'Close' }).click();
  });

  it('cancels one occurrence with "This meeting" after asking: only that one leaves the week and Google', async () => {
    await showWeek(1);
    await tuesday().click();
    await page.getByRole('button', { name: 'Cancel meeting' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel a repeating meeting' });
    await dialog.waitFor();
    // The choice starts at the narrowest one, with the focus on it.
    expect(await dialog.getByRole('radio', { name: 'This meeting', exact: true }).isChecked()).toBe(true);
    expect(await dialog.locator(':focus').getAttribute('value')).toBe('instance');
    expect(await dialog.getByRole('radio').count()).toBe(3);
    await chromium.screenshot(page, '11-cancel-which.png');

    // Escape changes nothing; so does "Don't cancel".
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Cancel meeting' }).click();
    await dialog.getByRole('button', { name: 'Don’t cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await inGoogle()).toHaveLength(TUESDAYS.length);

    await page.getByRole('button', { name: 'Cancel meeting' }).click();
    await dialog.getByRole('radio', { name: 'This meeting', exact: true }).check();
    await dialog.getByRole('button', { name: 'Yes, cancel' }).click();
    await tuesday().waitFor({ state: 'detached' });
    await showWeek(1);
    expect(await page.locator('.week .event').count()).toBe(0);
    for (const index of [0, 2]) {
      await showWeek(index);
      await tuesday().filter({ hasText: 'Pipeline review' }).waitFor();
    }

    const left = TUESDAYS.filter((_, i) => i !== 1);
    expect(await inGoogle()).toEqual(left.map((start) => ({ start, summary: 'Pipeline review' })));
    expect(await inApi()).toEqual(left.map((start) => ({ start, summary: 'Pipeline review', series: seriesId })));
    await sys.expectOccurrencesInSync();
  });

  it('renames every occurrence with "All meetings", chosen with the keyboard; the cancelled one stays cancelled', async () => {
    await showWeek(2);
    await tuesday().click();
    await page.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit meeting' });
    await form.locator('input[name=summary]').fill('Pipeline review (forecast)');
    await form.getByRole('button', { name: 'Save changes' }).click();

    const dialog = page.getByRole('dialog', { name: 'Change a repeating meeting' });
    await dialog.waitFor();
    // Nothing is saved before the rep says which meetings.
    expect((await inGoogle()).every((e) => e.summary === 'Pipeline review')).toBe(true);
    await chromium.screenshot(page, '12-edit-which.png');
    // Arrow keys move along the choices; Tab reaches "Save"; Enter saves.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await dialog.getByRole('radio', { name: 'All meetings' }).isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });

    const panel = page.getByRole('region', { name: 'Meeting' });
    await panel.getByRole('heading', { name: 'Pipeline review (forecast)' }).waitFor();
    await panel.locator('.repeats', { hasText: 'Every week on Tuesday' }).waitFor();
    for (const index of [0, 2, 3, 4]) {
      await showWeek(index);
      await tuesday().filter({ hasText: 'Pipeline review (forecast)' }).waitFor();
      expect(await tuesday().locator('.event-title').allTextContents()).toEqual(['↻ Pipeline review (forecast)']);
    }
    await showWeek(1);
    expect(await page.locator('.week .event').count()).toBe(0);

    const left = TUESDAYS.filter((_, i) => i !== 1);
    expect(await inGoogle()).toEqual(left.map((start) => ({ start, summary: 'Pipeline review (forecast)' })));
    expect(await inApi()).toEqual(left.map((start) => ({ start, summary: 'Pipeline review (forecast)', series: seriesId })));
    await sys.expectOccurrencesInSync();
  });

  it('cancels "This and following" meetings: the earlier ones stay, and say until when they repeat', async () => {
    await showWeek(3);
    await tuesday().click();
    await page.getByRole('button', { name: 'Cancel meeting' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel a repeating meeting' });
    await dialog.getByRole('radio', { name: 'This and following meetings' }).check();
    await dialog.getByRole('button', { name: 'Yes, cancel' }).click();
    await tuesday().waitFor({ state: 'detached' });
    await showWeek(4);
    expect(await page.locator('.week .event').count()).toBe(0);

    await showWeek(2);
    await tuesday().click();
    // The series now ends before 23 March: its last Tuesday is the 16th's week, the 22nd the last day it may fall on.
    const panel = page.getByRole('region', { name: 'Meeting' });
    await panel.locator('.repeats', { hasText: 'Every week on Tuesday until 22 Mar 2027' }).waitFor();

    const left = [TUESDAYS[0]!, TUESDAYS[2]!];
    expect(await inGoogle()).toEqual(left.map((start) => ({ start, summary: 'Pipeline review (forecast)' })));
    expect(await inApi()).toEqual(left.map((start) => ({ start, summary: 'Pipeline review (forecast)', series: seriesId })));
    await sys.expectOccurrencesInSync();
    expect(chromium.errors).toEqual([]);
  });
});
