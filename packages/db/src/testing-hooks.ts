import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll } from 'vitest';
import type { CreateOrmOptions } from './orm.ts';
import { createTestDatabase, withTestOrm, type TestDatabase, type TestOrm } from './testing.ts';

/**
 * vitest lifecycle helpers: a test file (or describe block) says once what it runs against and
 * its tests use it. Apart from testing.ts so that programs creating databases without vitest (the
 * bench, the migration CLI) do not load it.
 */

/**
 * Starts a resource before the suite's first test and stops it after its last (the file, or the
 * describe block this is called in), and returns a stand-in that forwards to it. The stand-in is
 * what lets a test body keep writing `sys.client...` as with a `let` assigned in beforeAll, while
 * the file no longer needs that `let`, the hooks, or a type annotation. Using it outside a test
 * or hook (while the file is being collected) throws.
 */
export function useResource<T extends object>(
  name: string,
  start: () => Promise<T>,
  stop: (resource: T) => Promise<void>,
  opts: { startTimeoutMs?: number } = {},
): T {
  let current: T | undefined;
  beforeAll(async () => {
    current = await start();
  }, opts.startTimeoutMs);
  afterAll(async () => {
    const running = current;
    current = undefined;
    if (running) await stop(running);
  });
  const resource = (): T => {
    if (!current) throw new Error(`${name} is not running here: use it in a test or a hook of the suite that set it up`);
    return current;
  };
  // The target is only a placeholder: every trap asks the running resource. Values are passed
  // on as they are, not bound: some are callable proxies themselves (the tRPC client), and a
  // method called through the stand-in sees it as `this`, which reads and writes through too.
  return new Proxy({} as T, {
    get: (_placeholder, key) => Reflect.get(resource(), key),
    set: (_placeholder, key, value) => Reflect.set(resource(), key, value),
    has: (_placeholder, key) => Reflect.has(resource(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(resource()),
  });
}

// Without DATABASE_URL the first database of a process starts an embedded server (initdb):
// more than vitest's default hook timeout allows on a busy machine.
const DATABASE_START_TIMEOUT_MS = 60_000;

/** A fresh, empty database of the suite's own (its `url`), dropped after the suite. */
export function useTestDatabase(): TestDatabase {
  return useResource('the test database', createTestDatabase, (db) => db.drop(), { startTimeoutMs: DATABASE_START_TIMEOUT_MS });
}

/** A migrated database of the suite's own with an ORM on it; closed and dropped after the suite. */
export function useTestOrm(opts: Omit<CreateOrmOptions, 'clientUrl'>): MikroORM {
  // The ORM is what tests use; closing it also drops its database.
  let db: TestOrm | undefined;
  return useResource(
    'the test ORM',
    async () => (db = await withTestOrm(opts)).orm,
    async () => db?.close(),
    { startTimeoutMs: DATABASE_START_TIMEOUT_MS },
  );
}
