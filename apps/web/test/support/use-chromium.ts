import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM, haveChromium, OUTPUT } from './chromium.ts';

export interface Chromium {
  /**
   * A page in a browser context of its own (its own localStorage, where the page keeps its
   * token): one per signed-in user, as if each sat at their own computer. In UTC unless
   * `timezoneId` says where that computer is.
   */
  newPage(options?: { timezoneId?: string }): Promise<Page>;
  /** What went wrong in any page: uncaught errors, console errors, a file of the page missing. */
  readonly errors: string[];
  /** Every URL any page requested: the token must never be in one. */
  readonly requests: string[];
  screenshot(page: Page, name: string): Promise<void>;
}

/**
 * Chromium for the test file (or describe block): launched before its first test, closed after
 * its last. Call it after useSystem(), so the browser (and its live-update streams) closes
 * before the server does.
 */
export function useChromium(): Chromium {
  let browser: Browser | undefined;
  const errors: string[] = [];
  const requests: string[] = [];
  beforeAll(async () => {
    if (!haveChromium) return;
    await mkdir(OUTPUT, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    errors,
    requests,
    async newPage(options = {}) {
      if (!browser) throw new Error('Chromium is not running here: use it in a test or a hook of the suite that set it up');
      const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'en-GB', timezoneId: options.timezoneId ?? 'UTC' });
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(err.message));
      // Refused API calls (400, 404, 412) are expected in these tests; anything else going wrong is not.
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
      });
      page.on('request', (req) => requests.push(req.url()));
      page.on('response', (res) => {
        // A 404 from /trpc is the API's NOT_FOUND, which the page shows; elsewhere a file is missing.
        if (res.status() === 404 && !new URL(res.url()).pathname.startsWith('/trpc/')) errors.push(`404 ${res.url()}`);
      });
      return page;
    },
    async screenshot(page, name) {
      await page.screenshot({ path: join(OUTPUT, name) });
    },
  };
}
