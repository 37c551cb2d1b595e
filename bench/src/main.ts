import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { SIZES } from './modes.ts';
import { atRestScenario, onboardingScenario, oneCalendarScenario, renewalScenario, setUpCalendars, stormsScenario } from './scenarios/calendars.ts';
import { buildReport, failed, formatTable, writeReport, type Mode, type Result } from './report.ts';
import { findSlotsScenario } from './scenarios/find-slots.ts';
import { fullSyncScenario } from './scenarios/full-sync.ts';
import { googleCallsScenario } from './scenarios/google-calls.ts';
import { idleRssScenario } from './scenarios/idle-rss.ts';
import { incrementalSyncScenario } from './scenarios/incremental-sync.ts';
import { listEventsScenario } from './scenarios/list-events.ts';
import { notificationStormScenario } from './scenarios/notification-storm.ts';
import { recurringScenario } from './scenarios/recurring.ts';
import { watchCalendar } from './scenarios/push.ts';
import { webhookVisibleScenario } from './scenarios/webhook-visible.ts';
import { startBenchSystem } from './system.ts';

const USAGE = `pnpm bench [--quick] [--only list|sync|calendars] [--profile]

Measures the hot paths against real PostgreSQL (DATABASE_URL's server, else an embedded one; a
fresh database, dropped at the end), the Google emulator over HTTP and the real server process.
Prints a table and writes bench/results/<mode>-<date>.json and bench/results/latest-<mode>.json.
  --quick        CI sizes (100k listed rows, 20k synced events, 20 samples)
  --only list    only the first server: idle RSS, Google calls per operation, listEvents (against
                 raw SQL, pgbench and a bare Node floor), findSlots
  --only sync    only the second server: full and incremental sync, webhook to visible, storm;
                 then a calendar of weekly series (200, quick 20): full sync, listEvents vs one-off
  --only calendars
                 only the third server, in delegation mode on its own database: 10,000 reps'
                 calendars (300 with --quick) onboarded, renewed in one job run, storms on
                 1,000 (100) of them, idle RSS and listEvents against the one-calendar run
  --profile      the server processes run with --cpu-prof; profiles go to bench/results/profiles/
                 (open them in Chrome DevTools or speedscope)
Exit code 0 when every scenario ran (missed targets included), 1 when one could not run.`;

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { quick: { type: 'boolean' }, only: { type: 'string' }, profile: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }).values;
  if (parsed.only !== undefined && !['list', 'sync', 'calendars'].includes(parsed.only)) throw new Error(`--only takes list, sync or calendars, not ${parsed.only}`);
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}
const mode: Mode = parsed.quick ? 'quick' : 'full';
const runList = parsed.only === undefined || parsed.only === 'list';
const runSync = parsed.only === undefined || parsed.only === 'sync';
const runCalendars = parsed.only === undefined || parsed.only === 'calendars';
const cpuProfileDir = parsed.profile ? fileURLToPath(new URL('../results/profiles/', import.meta.url)) : undefined;
const sizes = SIZES[mode];
// Progress goes to stderr: stdout is the report.
const log = (message: string) => console.error(message);

const results: Result[] = [];
let broken = false;
/** Runs a scenario; one that throws is reported as an error row and the run goes on where it can. */
async function step<T>(name: string, run: () => Promise<T>, rows: (value: T) => Result[]): Promise<T | undefined> {
  log(`${name}...`);
  const started = performance.now();
  try {
    const value = await run();
    results.push(...rows(value));
    log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return value;
  } catch (err) {
    broken = true;
    results.push(failed(name, err));
    log(`${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

const runStarted = performance.now();
log(`calsync bench, ${mode} mode`);
const system = await startBenchSystem({ cpuProfileDir });
if (cpuProfileDir) log(`CPU profiles of the server processes: ${cpuProfileDir}`);
process.once('SIGINT', () => {
  void system.close().finally(() => process.exit(130));
});
try {
  // Phase 1: a fresh server, then the list benchmark on a table seeded directly in SQL.
  if (runList) {
    const server = await system.startServer();
    await step('idle server RSS', () => idleRssScenario(server), (r) => r);
    await step('Google calls per operation', () => googleCallsScenario(system, server), (r) => r);
    await step(`listEvents over ${sizes.listRows.toLocaleString('en-US')} rows`, () => listEventsScenario(system, server, sizes, log), (r) => r);
    // On the list benchmark's table: five reps' calendars join its rows.
    await step('findSlots for 5 users over 2 weeks', () => findSlotsScenario(system, server, sizes, log), (r) => r);
    await server.process.stop();
  }

  if (runSync) {
    // Phase 2: a fresh server (its memory is the sync's), the calendar's rows those of a real sync.
    // The server migrates a fresh database (`--only sync`) on start: empty the tables after it.
    const syncServer = await system.startServer();
    await system.sql.query('truncate calendar_events');
    await system.sql.query('delete from calendar_sync_states');
    const synced = await step(`full sync of ${sizes.syncEvents.toLocaleString('en-US')} events`, () => fullSyncScenario(system, syncServer, sizes), (r) => r.results);
    if (synced) {
      const watched = await step(
        'watch',
        async () => {
          await watchCalendar(system, syncServer);
          return true;
        },
        () => [],
      );
      if (watched) {
        await step('incremental sync of 1 change', () => incrementalSyncScenario(system, synced.ids, sizes), (r) => r);
        await step('webhook to visible', () => webhookVisibleScenario(system, syncServer, synced.ids, sizes), (r) => r);
        await step('notification storm', () => notificationStormScenario(system, synced.ids, sizes), (r) => r);
      }
    }
    // Phase 3: a calendar of weekly series (issue 14), synced by a fresh server of its own, then
    // listed against the one-off list dataset.
    await step(`full sync of ${sizes.recurringSeries} weekly series`, () => recurringScenario(system, syncServer, synced?.summary, sizes, log), (r) => r);
  }

  if (runCalendars) {
    // Phase 3: reps' own calendars (delegation mode), a server and a database of their own.
    const calendars = await step(`calendars: ${sizes.calendars.toLocaleString('en-US')} reps' calendars set up`, () => setUpCalendars(system, sizes, log), () => []);
    if (calendars) {
      try {
        if (await step('calendars: one calendar', () => oneCalendarScenario(calendars), (r) => r)) {
          if (await step('calendars: onboarding', () => onboardingScenario(calendars, log), (r) => r)) {
            await step('calendars: renewal', () => renewalScenario(calendars, log), (r) => r);
            await step('calendars: storms', () => stormsScenario(calendars, log), (r) => r);
            await step('calendars: at rest', () => atRestScenario(calendars, log), (r) => r);
          }
        }
      } finally {
        await calendars.close();
      }
    }
  }
} catch (err) {
  broken = true;
  results.push(failed('setup', err));
  log(`setup FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await system.close();
}

const report = buildReport(mode, results);
console.log(formatTable(report));
for (const r of results) {
  const lines = r.details['planTop'];
  if (Array.isArray(lines)) console.log(`\nlist query plans (EXPLAIN ANALYZE, BUFFERS; top nodes):\n${lines.map((l) => `  ${String(l)}`).join('\n')}`);
}
const files = await writeReport(report, parsed.only);
log(`\nwritten: ${files.join(', ')}  (${((performance.now() - runStarted) / 1000).toFixed(0)} s in all)`);
// Pools and keep-alive agents of libraries may linger; the report is complete.
process.exit(broken ? 1 : 0);
