import pg from 'pg';

export interface ListenOptions {
  url: string;
  /** The NOTIFY channel: lower-case letters, digits and underscores. */
  channel: string;
  onMessage(payload: string): void;
  /** The listening connection is back after a loss: whatever was sent meanwhile was missed. */
  onReconnect?(): void;
  /** The connection was lost, or getting it back failed (the channel keeps trying). */
  onError?(err: unknown): void;
  /** Waits between reconnection attempts, doubling from minMs up to maxMs. */
  retry?: { minMs: number; maxMs: number };
}

export interface NotificationChannel {
  /** Sends a payload to every listener of the channel (this one included); fails while the connection is down. */
  notify(payload: string): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
const DEFAULT_RETRY = { minMs: 250, maxMs: 10_000 };

/**
 * PostgreSQL LISTEN/NOTIFY on a connection of its own: messages between the processes that share
 * a database. The first connection must succeed; after that, a lost connection (database restart,
 * failover, a killed backend) is re-established with backoff, and onReconnect says so, because
 * notifications sent while nobody listened are gone.
 */
export async function listenChannel(opts: ListenOptions): Promise<NotificationChannel> {
  if (!CHANNEL.test(opts.channel)) throw new Error(`listenChannel: "${opts.channel}" is not a plain lower-case channel name`);
  const retry = opts.retry ?? DEFAULT_RETRY;
  let current: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = retry.minMs;

  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: opts.url, application_name: `calsync listen ${opts.channel}` });
    client.on('notification', (n) => {
      if (n.channel === opts.channel && n.payload !== undefined) opts.onMessage(n.payload);
    });
    // 'error' alone is not enough: a connection the server ends cleanly only says 'end'.
    const lost = (err?: unknown) => {
      if (current !== client) return;
      current = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (closed) return;
      opts.onError?.(err ?? new Error('the listening connection ended'));
      schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${opts.channel}`);
    } catch (err) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  };

  const schedule = () => {
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(
        (client) => {
          if (closed) {
            void client.end().catch(() => undefined);
            return;
          }
          current = client;
          delay = retry.minMs;
          opts.onReconnect?.();
        },
        (err: unknown) => {
          if (closed) return;
          opts.onError?.(err);
          delay = Math.min(delay * 2, retry.maxMs);
          schedule();
        },
      );
    }, delay);
    timer.unref();
  };

  current = await connect();
  // One query at a time on the connection (pg deprecates queueing queries on a client): NOTIFYs
  // wait for the one before them, which keeps their order too.
  let previous: Promise<unknown> = Promise.resolve();
  return {
    notify(payload) {
      const sent = previous.then(async () => {
        if (!current) throw new Error(`not connected to the database (NOTIFY ${opts.channel})`);
        await current.query('select pg_notify($1, $2)', [opts.channel, payload]);
      });
      previous = sent.catch(() => undefined);
      return sent;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const client = current;
      current = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
