import { readdirSync } from 'node:fs';
import type { Migration } from '@mikro-orm/migrations';

/**
 * The committed migrations in the order they run: every `Migration<timestamp>_<name>.ts` file of
 * this folder, so a new migration is its file alone (`pnpm --filter @calsync/calendar
 * migration:create <name>` writes it). Listed here rather than left to MikroORM's own discovery,
 * so that the migrator gets classes, not paths to load.
 */
const MIGRATION_FILE = /^(Migration\d{14}(?:_\w+)?)\.ts$/;

const names = readdirSync(new URL('.', import.meta.url))
  .map((file) => MIGRATION_FILE.exec(file)?.[1])
  .filter((name): name is string => name !== undefined)
  .sort();

export const migrationsList: ReadonlyArray<{ name: string; class: new () => Migration }> = await Promise.all(
  names.map(async (name) => {
    // A URL rather than a `./${name}.ts` template: bundlers and vitest would try to resolve the
    // template at build time, and this folder is read at run time.
    const module = (await import(new URL(`./${name}.ts`, import.meta.url).href)) as Record<string, unknown>;
    const migration = module[name];
    if (typeof migration !== 'function') throw new Error(`src/migrations/${name}.ts must export a class named ${name}`);
    return { name, class: migration as new () => Migration };
  }),
);
