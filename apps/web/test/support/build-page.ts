import { build } from 'vite';
import { haveChromium, WEB_ROOT } from './chromium.ts';

/**
 * vitest globalSetup: builds the page once, before any browser test file starts its server (the
 * server serves the page only if there is one), so test files never build into dist at once.
 * Always a fresh build: a stale dist would test yesterday's page.
 */
export default async function buildPage(): Promise<void> {
  if (!haveChromium) return;
  await build({ root: WEB_ROOT, logLevel: 'warn' });
}
