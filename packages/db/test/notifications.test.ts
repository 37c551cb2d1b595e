import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { listenChannel } from '../src/notifications.ts';
import { useTestDatabase } from '../src/testing-hooks.ts';

const db = useTestDatabase();

const CHANNEL = 'calsync_test_channel';

async function eventually(check: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Ends the database sessions that listen on the test channel, as a database restart would. */
async function killListeners(): Promise<number> {
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ killed: boolean }>(
      `select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1 and datname = current_database() and pid <> pg_backend_pid()`,
      [`calsync listen ${CHANNEL}`],
    );
    return rows.filter((r) => r.killed).length;
  } finally {
    await admin.end();
  }
}

describe('listenChannel (PostgreSQL LISTEN/NOTIFY)', () => {
  it('delivers what one process sends to every listener on the database, the sender included', async () => {
    const heardA: string[] = [];
    const heardB: string[] = [];
    const a = await listenChannel({ url: db.url, channel: CHANNEL, onMessage: (p) => heardA.push(p) });
    const b = await listenChannel({ url: db.url, channel: CHANNEL, onMessage: (p) => heardB.push(p) });
    const other = await listenChannel({ url: db.url, channel: 'calsync_other_channel', onMessage: (p) => heardA.push(`other: ${p}`) });
    try {
      await a.notify('{"n":1}');
      await b.notify('two');
      await eventually(() => expect(heardB).toEqual(['{"n":1}', 'two']));
      await eventually(() => expect(heardA).toEqual(['{"n":1}', 'two']));
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('listens again after the connection is lost, says so, and hears what is sent afterwards', async () => {
    const heard: string[] = [];
    const errors: unknown[] = [];
    let reconnects = 0;
    const listener = await listenChannel({
      url: db.url,
      channel: CHANNEL,
      onMessage: (p) => heard.push(p),
      onReconnect: () => reconnects++,
      onError: (err) => errors.push(err),
      retry: { minMs: 20, maxMs: 200 },
    });
    try {
      expect(await killListeners()).toBe(1);
      await eventually(() => expect(reconnects).toBe(1));
      expect(errors.length).toBeGreaterThanOrEqual(1);
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query('select pg_notify($1, $2)', [CHANNEL, 'after the loss']);
      await admin.end();
      await eventually(() => expect(heard).toEqual(['after the loss']));
    } finally {
      await listener.close();
    }
  });

  it('refuses to send while the connection is down, and stops trying once closed', async () => {
    let reconnects = 0;
    const errors: unknown[] = [];
    const listener = await listenChannel({
      url: db.url,
      channel: CHANNEL,
      onMessage: () => undefined,
      onReconnect: () => reconnects++,
      onError: (err) => errors.push(err),
      retry: { minMs: 300, maxMs: 300 },
    });
    await killListeners();
    await eventually(() => expect(errors.length).toBeGreaterThanOrEqual(1));
    await expect(listener.notify('lost')).rejects.toThrow(/not connected/);
    await listener.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(reconnects).toBe(0);
    // Nobody listens any more.
    expect(await killListeners()).toBe(0);
  });

  it('takes plain channel names only (they are written into LISTEN)', async () => {
    await expect(listenChannel({ url: db.url, channel: 'x; drop table y', onMessage: () => undefined })).rejects.toThrow(/channel name/);
  });
});
