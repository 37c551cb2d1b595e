/** Wires the pieces into one Express app; createEmulator for in-process use, startEmulator to listen. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { Auth, type DelegationGrant, type ServiceAccountOptions } from './auth.ts';
import { controlRouter, createControl, type EmulatorControl } from './control.ts';
import { Directory } from './directory.ts';
import { errorHandler, invalidField, notFoundRoute } from './errors.ts';
import type { JsonObject } from './event.ts';
import { Faults } from './faults.ts';
import { Gate } from './gate.ts';
import type { ServiceAccountKey, ServiceAccountPublicKey } from './keys.ts';
import { Lister } from './list.ts';
import { Push, type PushRetryOptions } from './push.ts';
import { Quotas, type QuotaOptions } from './quota.ts';
import { Expander } from './recurrence.ts';
import { apiRouter } from './routes/events.ts';
import { Stats } from './stats.ts';
import { Store } from './store.ts';

export interface EmulatorOptions {
  /** 0 (default): Meet conferences are ready at once; > 0: first `pending`, the link arrives later as a real change. */
  meetPendingMs?: number;
  /** Injectable clock (ms since epoch) for created/updated, expirations and access-token expiry. */
  now?: () => number;
  /** Access-token lifetime; default 3600. Below 300 the Google library would refresh before every call. */
  tokenTtlSeconds?: number;
  /** Sync tokens older than this answer 410 fullSyncRequired. */
  syncTokenTtlMs?: number;
  /** Backoff of push deliveries the receiver did not acknowledge. */
  pushRetry?: PushRetryOptions;
  /** Every API and token call answers this much later (default 0), so overlapping calls show in control.concurrency(). */
  latencyMs?: number;
  /** Per-minute request quotas; off by default (calls are counted, never refused). See control.configureQuotas. */
  quotas?: QuotaOptions;
  /** How far recurring events are expanded for singleEvents listings and events.instances. */
  recurrence?: RecurrenceOptions;
}

export interface RecurrenceOptions {
  /**
   * Occurrences are listed up to this many days after "now" (the injectable clock) when the request
   * gives no timeMax. Default 730: Google's horizon is undocumented and reported as about two years.
   */
  horizonDays?: number;
  /** Most occurrences one series yields in a listing, earliest first. Default 10,000. */
  maxInstancesPerSeries?: number;
}

export const DEFAULT_HORIZON_DAYS = 730;

export interface Emulator {
  app: Express;
  /** Registering the same client_email again replaces its key, delegation and project. */
  registerServiceAccount(key: ServiceAccountPublicKey | ServiceAccountKey, opts?: ServiceAccountOptions): void;
  control: EmulatorControl;
  /** Cancels pending Meet completions and push deliveries (no timers stay alive). */
  close(): Promise<void>;
}

export interface RunningEmulator extends Emulator {
  url: string;
  /** Also stops the HTTP server. */
  close(): Promise<void>;
}

export function createEmulator(opts: EmulatorOptions = {}): Emulator {
  const baseNow = opts.now ?? Date.now;
  // control.advanceClock moves the emulator's time on without touching the caller's clock.
  let clockOffsetMs = 0;
  const now = (): number => baseNow() + clockOffsetMs;
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const stats = new Stats();
  const faults = new Faults();
  const latencyMs = opts.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new RangeError('latencyMs must be a non-negative number.');
  const gate = new Gate(stats, faults, latencyMs);
  const quotas = new Quotas(opts.quotas ?? {}, now);
  const directory = new Directory((emails) => auth.revokeUsers(emails));
  const auth = new Auth({ now, tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600, gate, directory });
  const push = new Push({ now, retry: opts.pushRetry });
  const horizonDays = opts.recurrence?.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const maxInstances = opts.recurrence?.maxInstancesPerSeries ?? 10_000;
  if (!(horizonDays > 0) || !(maxInstances > 0)) throw new RangeError('recurrence.horizonDays and maxInstancesPerSeries must be positive.');
  const expander = new Expander({ horizonMs: horizonDays * 86_400_000, maxInstances });
  const store = new Store({
    now,
    expander,
    meetPendingMs: opts.meetPendingMs ?? 0,
    onChange: (calendarId) => push.changed(calendarId),
    schedule: (fn, ms) => {
      if (closed) return;
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
  });
  const lister = new Lister({ now, syncTokenTtlMs: opts.syncTokenTtlMs, store, expander });
  const clock = {
    advance(ms: number): void {
      clockOffsetMs += ms;
      // Tokens the clients already hold stay valid: they judge expiry by their own clock.
      auth.shiftExpiries(ms);
    },
    reset(): void {
      clockOffsetMs = 0;
    },
  };
  const control = createControl({ store, lister, push, stats, faults, gate, latencyMs, now, directory, quotas, clock });

  const registerServiceAccount: Emulator['registerServiceAccount'] = (key, o) => auth.register(key, o);
  const registerOverHttp = (body: JsonObject): void => {
    const { client_email, private_key_id, publicKeyPem, private_key, domainWideDelegation, project_id } = body;
    // A whole key JSON may be posted: its project_id is the quota project unless `project` says otherwise.
    const project = typeof body.project === 'string' ? body.project : project_id;
    if (typeof client_email !== 'string' || typeof private_key_id !== 'string') throw invalidField('client_email and private_key_id are required.');
    const dwd: ServiceAccountOptions = {
      // Checked item by item when registered; a list arrives as JSON strings and {domain, scopes} objects.
      domainWideDelegation: Array.isArray(domainWideDelegation) ? (domainWideDelegation as DelegationGrant[]) : domainWideDelegation === true,
    };
    if (typeof project === 'string' && project !== '') dwd.project = project;
    if (typeof publicKeyPem === 'string') registerServiceAccount({ client_email, private_key_id, publicKeyPem }, dwd);
    else if (typeof private_key === 'string') {
      registerServiceAccount({ type: 'service_account', client_email, private_key_id, private_key, project_id: '', client_id: '', token_uri: '' }, dwd);
    } else throw invalidField('publicKeyPem or private_key is required.');
  };

  const app = express();
  app.disable('x-powered-by');
  // Express's automatic weak ETags would answer 304s Google never sends for these resources.
  app.set('etag', false);
  app.use(auth.tokenRouter());
  app.use('/__emulator', express.json({ limit: '200mb' }), controlRouter(control, registerOverHttp));
  app.use(express.json({ limit: '10mb' }), apiRouter({ auth, store, lister, push, gate, quotas }));
  app.use(notFoundRoute);
  app.use(errorHandler);

  return {
    app,
    registerServiceAccount,
    control,
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      push.dispose();
      gate.dispose();
    },
  };
}

export async function startEmulator(opts: EmulatorOptions & { port?: number; host?: string } = {}): Promise<RunningEmulator> {
  const emulator = createEmulator(opts);
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = emulator.app.listen(opts.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    ...emulator,
    url: `http://${urlHost}:${port}`,
    async close() {
      await emulator.close();
      // Keep-alive sockets from the client library would otherwise hold server.close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
