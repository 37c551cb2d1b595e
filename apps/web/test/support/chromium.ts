import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Chromium, driven by playwright-core: no browser is ever downloaded. */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: the web page tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it).`);
}
if (!haveChromium) console.warn(`web page tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium). In CI they fail instead.`);

export const WEB_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Screenshots land here (ignored by git; docs/screenshot.png is refreshed from one by hand). */
export const OUTPUT = join(WEB_ROOT, 'test-output');
