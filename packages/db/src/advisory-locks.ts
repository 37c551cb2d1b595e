import pg from 'pg';

export type LockResult<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs fn while holding a session advisory lock on a connection of its own, waiting for it as long
 * as it takes: one-time set-up that processes starting together must do one after the other
 * (migrations, Agenda's tables). The lock lives on its own connection so it is released even if the
 * process dies mid-way; it is unlocked first so the next waiter does not wait for TCP teardown.
 */
export async function withSessionLock<T>(connectionString: string, key: number, fn: () => Promise<T>): Promise<T> {
  const lock = new pg.Client({ connectionString });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [key]);
    return await fn();
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    await lock.end();
  }
}

/**
 * Named PostgreSQL session advisory locks, held on connections of their own pool so a lock can
 * span several ORM transactions (a sync commits page by page). A crashed process loses its
 * connections and with them its locks, so nothing stays locked forever.
 */
export class AdvisoryLocks {
  private readonly pool: pg.Pool;

  constructor(clientUrl: string, opts: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: clientUrl, max: opts.max ?? 4 });
    // An idle lock connection dropping (e.g. a database restart) must not crash the process.
    this.pool.on('error', () => undefined);
  }

  /** Runs fn while holding the lock, or returns { acquired: false } at once if another holder has it. */
  async tryRun<T>(name: string, fn: () => Promise<T>): Promise<LockResult<T>> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [name]);
      if (!rows[0]?.ok) return { acquired: false };
      return { acquired: true, value: await this.holding(client, name, fn) };
    } finally {
      client.release();
    }
  }

  /** Waits (up to timeoutMs) for the lock, then runs fn. */
  async run<T>(name: string, fn: () => Promise<T>, opts: { timeoutMs: number }): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(`set lock_timeout = ${Math.max(1, Math.floor(opts.timeoutMs))}`);
      try {
        await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [name]);
      } catch (err) {
        throw new LockTimeoutError(name, { cause: err });
      } finally {
        await client.query('reset lock_timeout');
      }
      return await this.holding(client, name, fn);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async holding<T>(client: pg.PoolClient, name: string, fn: () => Promise<T>): Promise<T> {
    // While fn runs the client sits checked out with no query: the pool's error handler does not
    // cover it, and an unhandled 'error' (connection dropped) would crash the process.
    const onError = () => undefined;
    client.on('error', onError);
    try {
      return await fn();
    } finally {
      try {
        await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [name]);
      } finally {
        client.off('error', onError);
      }
    }
  }
}

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  constructor(lockName: string, opts: { cause: unknown }) {
    super(`Timed out waiting for lock "${lockName}"`, opts);
  }
}
