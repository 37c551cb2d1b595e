import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** Where `pnpm --filter @calsync/web build` puts the page (`pnpm start` builds it first). */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/**
 * The web page (apps/web), when it was built: its hashed assets are cached for a year (a new
 * build has new names), index.html never (so a new build is picked up at once). Without a build
 * the server is the API alone. The page is same-origin with /trpc, so helmet's CSP (scripts and
 * styles from 'self') and the absence of CORS headers suit it as they are.
 */
export function webPage(dir: string = WEB_DIST_DIR): Router | undefined {
  if (!hasWebPage(dir)) return undefined;
  const router = express.Router();
  router.use('/assets', express.static(`${dir}/assets`, { immutable: true, maxAge: '365d', index: false }));
  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: dir });
  });
  return router;
}

export function hasWebPage(dir: string = WEB_DIST_DIR): boolean {
  return existsSync(`${dir}/index.html`);
}
