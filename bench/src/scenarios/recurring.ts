import { GoogleCalendarGateway } from '@calsync/google';
import superjson from 'superjson';
import type { Sizes } from '../modes.ts';
import { seedRecurringCalendar, WEEKS } from '../recurring-seed.ts';
import { info, result, type Result } from '../report.ts';
import { middleWeek, seedEvents } from '../seed.ts';
import type { BenchServer, BenchSystem } from '../system.ts';
import { httpLoad, pooled } from '../util/load.ts';
import { round } from '../util/stats.ts';
import { measuredFullSync, type FullSyncSummary } from './full-sync.ts';

/** The second calendar, of weekly series: its own shared-calendar server acts as this user. */
export const RECURRING_CALENDAR = 'recurring@acme.test';
const CONNECTIONS = 2;
const MAX_PAGE = 250;

/**
 * Issue 14's bench rows: a calendar of weekly series over two years (see recurring-seed.ts) is
 * fully synced (`calendar.sync {full: true}`, the `singleEvents` listing plus the series' own
 * listing) by a fresh server of its own, next to the one-off full sync of the same run; then a
 * week of it is listed over tRPC against a week of the one-off list dataset, in alternating
 * rounds (both servers up, the same load as the listEvents rows).
 *
 * The table is emptied first, as for the one-off sync, so both syncs write into an empty table.
 * `oneOffServer` is a server of the one-off calendar (`system.calendarId`); its list dataset is
 * seeded here again (phase 1's, same seed), since the sync phase emptied the table.
 */
export async function recurringScenario(
  system: BenchSystem,
  oneOffServer: BenchServer,
  oneOff: FullSyncSummary | undefined,
  sizes: Sizes,
  log: (m: string) => void,
): Promise<Result[]> {
  await system.sql.query('truncate calendar_events');
  const server = await system.startServer({ env: { GOOGLE_IMPERSONATE_USER: RECURRING_CALENDAR } });
  try {
    const { control } = system.emulator;
    const seedStarted = performance.now();
    const calendar = seedRecurringCalendar(control, RECURRING_CALENDAR, sizes.recurringSeries, Date.now());
    const seedSeconds = round((performance.now() - seedStarted) / 1000, 2);
    log(`  ${calendar.seriesIds.length} series seeded in the emulator in ${seedSeconds} s (${JSON.stringify(calendar.exceptions)})`);

    const { outcome, seconds, memory, cpu, stats } = await measuredFullSync(system, server);

    // Google's side, listed the same way after the measurement: every live occurrence, once.
    const google = await listOccurrences(system);
    const stored = await system.sql.query<{ id: string; series: string | null }>(
      `select google_event_id as id, recurring_event_id as series from calendar_events where calendar_id = $1 and status <> 'cancelled'`,
      [RECURRING_CALENDAR],
    );
    const local = new Set(stored.rows.map((r) => r.id));
    const missing = [...google.ids].filter((id) => !local.has(id));
    const extra = [...local].filter((id) => !google.ids.has(id));
    if (missing.length + extra.length > 0 || local.size !== stored.rows.length) {
      throw new Error(`recurring full sync: ${stored.rows.length} live rows, Google has ${google.ids.size}; missing ${missing.slice(0, 3).join(', ')}; extra ${extra.slice(0, 3).join(', ')}`);
    }
    const occurrences = local.size;
    const seriesRows = await system.sql.query<{ n: string }>(`select count(*) as n from calendar_series where calendar_id = $1`, [RECURRING_CALENDAR]);
    const eventsPerSecond = occurrences / seconds;
    const syncDetails = {
      series: calendar.seriesIds.length,
      weeks: WEEKS,
      occurrences,
      occurrencesOfSeries: stored.rows.filter((r) => r.series !== null).length,
      seriesStored: Number(seriesRows.rows[0]?.n ?? 0),
      exceptions: calendar.exceptions,
      seconds: round(seconds, 2),
      outcome,
      listCalls: stats['events.list'],
      googleCalls: stats.total,
      cpu,
      rss: { startMb: round(memory.startMb, 1), endMb: round(memory.endMb, 1), samples: memory.samples, hwmReset: memory.hwmReset },
      oneOff: oneOff ?? null,
    };
    const rows: Result[] = [
      // No target of its own: the one-off row's 10,000 events/s is for the emulator's bare seeded
      // events; these carry attendees, Meet and descriptions (~1.6 KB each from Google).
      info('recurring full sync throughput', Math.round(eventsPerSecond), 'occurrences/s', syncDetails),
      ...(oneOff ? [info('  recurring / one-off full sync, events/s', round(eventsPerSecond / oneOff.eventsPerSecond, 2), 'x', { recurring: Math.round(eventsPerSecond), oneOff: oneOff.eventsPerSecond })] : []),
      info('  recurring full sync: list calls (occurrences + series)', stats['events.list'], `calls, ${round(seconds, 2)} s`),
      info('  recurring full sync: CPU ms per 1,000 occurrences, server / emulator / PostgreSQL', perThousand(cpu.serverS, occurrences), `/ ${perThousand(cpu.benchS, occurrences)} / ${perThousand(cpu.postgresS, occurrences)}`, { cpu }),
      ...(oneOff
        ? [
            info('  one-off full sync: CPU ms per 1,000 events, server / emulator / PostgreSQL', perThousand(oneOff.cpu.serverS, oneOff.events), `/ ${perThousand(oneOff.cpu.benchS, oneOff.events)} / ${perThousand(oneOff.cpu.postgresS, oneOff.events)}`, { cpu: oneOff.cpu }),
          ]
        : []),
      result('recurring full sync peak server RSS', round(memory.peakMb, 1), 'MB', { op: '<', value: 300 }, syncDetails),
      ...(oneOff ? [info('  recurring / one-off peak server RSS', round(memory.peakMb / oneOff.peakMb, 2), 'x', { recurringMb: round(memory.peakMb, 1), oneOffMb: oneOff.peakMb })] : []),
    ];

    rows.push(...(await compareLists(system, oneOffServer, server, calendar.firstWeek, sizes, log)));
    return rows;
  } finally {
    await server.process.stop();
  }
}

const perThousand = (seconds: number, events: number): number => round((seconds * 1e6) / events, 1);

/** Every live occurrence Google lists for the recurring calendar (singleEvents), by id. */
async function listOccurrences(system: BenchSystem): Promise<{ ids: Set<string> }> {
  const gateway = new GoogleCalendarGateway({ credentials: system.key, apiBaseUrl: system.emulator.url });
  const ref = { calendarId: RECURRING_CALENDAR, subject: RECURRING_CALENDAR };
  const ids = new Set<string>();
  let pageToken: string | undefined;
  do {
    const page = await gateway.listEvents(ref, { singleEvents: true, showDeleted: false, maxResults: 2500, pageToken });
    for (const e of page.items) if (e.id && e.status !== 'cancelled') ids.add(e.id);
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  return { ids };
}

/**
 * A week of the recurring calendar (a year in) against the one-off list dataset's week, pages of
 * the same size (the recurring week's occurrences), tRPC over HTTP, 2 keep-alive connections,
 * saturated (autocannon's closed loop, as the listEvents rows), in alternating rounds.
 */
async function compareLists(system: BenchSystem, oneOffServer: BenchServer, server: BenchServer, firstWeek: Date, sizes: Sizes, log: (m: string) => void): Promise<Result[]> {
  log(`  one-off list dataset: ${sizes.listRows.toLocaleString('en-US')} rows`);
  await seedEvents(system.sql, system.calendarId, sizes.listRows);
  const weekStart = new Date(firstWeek.getTime() + 52 * 7 * 86_400_000);
  const recurringWeek = { timeMin: weekStart, timeMax: new Date(weekStart.getTime() + 7 * 86_400_000) };
  const first = await server.client.calendar.listEvents.query({ ...recurringWeek, limit: MAX_PAGE });
  const items = first.items.length;
  if (items === 0 || first.nextCursor) throw new Error(`the recurring week lists ${items} occurrences${first.nextCursor ? ' and more' : ''}: expected one page`);
  const oneOffInput = { ...middleWeek(), limit: items };
  const recurringInput = { ...recurringWeek, limit: items };
  const oneOffPage = await oneOffServer.client.calendar.listEvents.query(oneOffInput);
  if (oneOffPage.items.length !== items) throw new Error(`the one-off week answered ${oneOffPage.items.length} events, expected ${items}`);
  const target = (s: BenchServer, input: object) => ({
    url: `${s.url}/trpc/calendar.listEvents?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`,
    headers: { authorization: `Bearer ${s.token}` },
  });
  const oneOffTarget = target(oneOffServer, oneOffInput);
  const recurringTarget = target(server, recurringInput);

  const roundSeconds = Math.ceil(sizes.listSeconds / sizes.listRounds);
  log(`  listEvents, pages of ${items}: one-off and recurring week, ${CONNECTIONS} connections each, ${sizes.listRounds} alternating rounds of ${roundSeconds} s`);
  await httpLoad({ ...oneOffTarget, connections: CONNECTIONS, seconds: 1 });
  await httpLoad({ ...recurringTarget, connections: CONNECTIONS, seconds: 1 });
  const oneOffRounds = [];
  const recurringRounds = [];
  for (let r = 0; r < sizes.listRounds; r++) {
    oneOffRounds.push(await httpLoad({ ...oneOffTarget, connections: CONNECTIONS, seconds: roundSeconds }));
    recurringRounds.push(await httpLoad({ ...recurringTarget, connections: CONNECTIONS, seconds: roundSeconds }));
  }
  const oneOff = pooled(oneOffRounds);
  const recurring = pooled(recurringRounds);
  for (const [name, r] of [['one-off', oneOff], ['recurring', recurring]] as const) {
    if (r.failures > 0) throw new Error(`list load had failures: ${name} ${r.failures}`);
  }
  const details = {
    pageSize: items,
    recurringWindow: { timeMin: recurringWeek.timeMin.toISOString(), timeMax: recurringWeek.timeMax.toISOString() },
    oneOffWindow: { timeMin: oneOffInput.timeMin.toISOString(), timeMax: oneOffInput.timeMax.toISOString(), rows: sizes.listRows },
    recurring,
    oneOff,
  };
  return [
    info(`listEvents p99, recurring week (${items} occurrences), saturated`, recurring.latency.p99, 'ms', details),
    info(`  one-off week, same page size, p99 (alternating rounds)`, oneOff.latency.p99, 'ms'),
    info('  recurring / one-off listEvents p99', round(recurring.latency.p99 / oneOff.latency.p99, 2), 'x'),
    info('  listEvents p50 recurring / one-off', recurring.latency.p50, `/ ${oneOff.latency.p50} ms`),
    info('  recurring / one-off listEvents p50', round(recurring.latency.p50 / oneOff.latency.p50, 2), 'x'),
    info('  listEvents req/s recurring / one-off', recurring.requestsPerSecond, `/ ${oneOff.requestsPerSecond}`),
  ];
}
