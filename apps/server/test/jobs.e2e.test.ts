import { GoogleCalendarGateway } from '@calsync/google';
import { beforeEach, describe, expect, it } from 'vitest';
import { eventually, useSystem } from './support/system.ts';

// The maintenance jobs (Agenda, stored in PostgreSQL) doing their work against the emulator.
// Jobs are run on demand here (as `pnpm jobs run` does); the schedule itself is tested below.
const sys = useSystem({
  env: {
    JOBS_ENABLED: 'true',
    // Channels live 2 minutes: always "about to expire" for a 1-hour renewal window.
    WATCH_CHANNEL_TTL_SECONDS: '120',
    CHANNEL_RENEW_BEFORE: '1 hour',
    SYNC_MIN_INTERVAL_MS: '0',
    JOBS_DASHBOARD_USER: 'ops',
    JOBS_DASHBOARD_PASSWORD: 'correct horse battery staple',
  },
});
const jobs = () => {
  if (!sys.app.jobs) throw new Error('jobs are enabled in this system');
  return sys.app.jobs;
};
const personEvent = (summary: string, day = 8) => ({
  summary,
  start: { dateTime: `2031-09-${String(day).padStart(2, '0')}T10:00:00Z` },
  end: { dateTime: `2031-09-${String(day).padStart(2, '0')}T11:00:00Z` },
});

beforeEach(async () => {
  await sys.reset();
  await sys.sql.query('delete from sync_reconciliations');
});

describe('renew-channels', () => {
  it('replaces a channel about to expire before it expires, and misses no change made during the switch', async () => {
    const old = await sys.client.calendar.watch.mutate();
    expect(old.expiration.getTime() - Date.now()).toBeLessThan(121_000);

    // Slow Google answers stretch the switch; a person keeps editing throughout it.
    sys.emulator.control.setLatency(30);
    let editing = true;
    const edits = (async () => {
      for (let i = 0; editing || i < 5; i++) {
        sys.emulator.control.createEvent(sys.calendarId, personEvent(`during switch ${i}`, 1 + (i % 20)));
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const result = await jobs().runNow('renew-channels');
    editing = false;
    await edits;
    sys.emulator.control.setLatency(0);

    expect(result).toMatchObject({ checked: 1, renewed: 1, failed: [] });
    const state = await sys.sql.query('select channel_id, expiration from calendar_sync_states where active');
    expect(state.rows).toHaveLength(1);
    expect(state.rows[0].channel_id).not.toBe(old.channelId);
    expect(sys.emulator.control.stats()['channels.stop']).toBe(1);
    await sys.expectInSyncWithGoogle();
    expect((await sys.localEvents()).length).toBeGreaterThanOrEqual(5);
  });

  it('a failed renewal is marked failed (dashboard, logs) and retried with backoff', async () => {
    await sys.client.calendar.watch.mutate();
    sys.emulator.control.injectFaults([{ method: 'events.watch', status: 503, times: 'always' }]);
    const run = await jobs().agenda.now('renew-channels');
    try {
      await eventually(async () => {
        const logs = await sys.sql.query(`select event, retry_delay from agenda_logs where job_name = 'renew-channels' and event in ('fail', 'retry') order by timestamp`);
        expect(logs.rows.map((r) => r.event)).toEqual(expect.arrayContaining(['fail', 'retry']));
        expect(Number(logs.rows.find((r) => r.event === 'retry')?.retry_delay)).toBeGreaterThanOrEqual(30_000);
        // Agenda writes its log rows before it saves the job, so the reason is awaited too.
        const failed = await sys.sql.query(`select fail_reason, fail_count from agenda_jobs where name = 'renew-channels' and fail_reason is not null`);
        expect(failed.rows[0]?.fail_reason).toMatch(/renewal failed for 1 of 1 calendar\(s\).*temporarily unavailable/);
      }, 15_000);
      // The active channel is untouched: the old one keeps delivering until a renewal succeeds.
      const state = await sys.sql.query('select count(*)::int as n from calendar_sync_states where active');
      expect(state.rows[0].n).toBe(1);
    } finally {
      sys.emulator.control.clearFaults();
      // Its backoff retry would otherwise fire during later tests.
      await jobs().agenda.cancel({ id: run.attrs._id });
    }
  });

  it('leaves channels alone that are not due', async () => {
    await sys.client.calendar.watch.mutate();
    await sys.sql.query(`update calendar_sync_states set expiration = now() + interval '3 days'`);
    expect(await jobs().runNow('renew-channels')).toMatchObject({ checked: 0, renewed: 0 });
    expect(sys.emulator.control.stats()['events.watch']).toBe(1);
  });
});

describe('reconcile', () => {
  it('repairs a change whose notification was dropped and records the drift', async () => {
    await sys.client.calendar.watch.mutate();
    const e = sys.emulator.control.createEvent(sys.calendarId, personEvent('before'));
    await sys.expectInSyncWithGoogle();

    sys.emulator.control.configureNotifications({ dropNext: 1 }, sys.calendarId);
    sys.emulator.control.editEvent(sys.calendarId, e.id, { summary: 'edited, notification lost' });
    await sys.settle();
    expect((await sys.localEvents())[0]?.summary).toBe('before');

    const result = await jobs().runNow('reconcile');
    expect(result).toMatchObject({ calendars: 1, drift: 1 });
    expect((await sys.localEvents())[0]?.summary).toBe('edited, notification lost');
    const rec = await sys.sql.query('select calendar_id, changed, deleted, channel_renewed from sync_reconciliations');
    expect(rec.rows).toEqual([{ calendar_id: sys.calendarId, changed: 1, deleted: 0, channel_renewed: true }]);
  });

  it('re-creates a channel lost at Google, after which pushes flow again', async () => {
    const channel = await sys.client.calendar.watch.mutate();
    // The channel dies at Google (stopped elsewhere); our row still believes in it.
    const gateway = new GoogleCalendarGateway({ credentials: sys.key, apiBaseUrl: sys.emulator.url });
    await gateway.stopChannel(sys.calendarId, channel.channelId, channel.resourceId);
    sys.emulator.control.createEvent(sys.calendarId, personEvent('made while the channel was dead'));
    await sys.settle();
    expect(await sys.localEvents()).toEqual([]);

    const result = await jobs().runNow('reconcile');
    expect(result).toMatchObject({ drift: 1, renewedChannels: [sys.calendarId] });
    const state = await sys.sql.query('select channel_id from calendar_sync_states where active');
    expect(state.rows[0].channel_id).not.toBe(channel.channelId);

    sys.emulator.control.createEvent(sys.calendarId, personEvent('pushed on the new channel', 9));
    await eventually(async () => expect((await sys.localEvents()).map((e) => e.summary).sort()).toEqual(['made while the channel was dead', 'pushed on the new channel']));
  });

  it('flags a channel that has been silent for unusually long, without renewing a healthy one', async () => {
    await sys.client.calendar.watch.mutate();
    await sys.sql.query(`update calendar_sync_states set last_notification_at = now() - interval '3 days', last_sync_at = now() - interval '1 minute'`);
    const result = await jobs().runNow('reconcile');
    expect(result).toMatchObject({ drift: 0, silentChannels: [sys.calendarId], renewedChannels: [] });
    const rec = await sys.sql.query('select channel_silent, channel_renewed from sync_reconciliations');
    expect(rec.rows).toEqual([{ channel_silent: true, channel_renewed: false }]);
  });
});

describe('cleanup', () => {
  it('removes exactly what retention says, and never calls Google', async () => {
    const mk = (id: string, end: string, status: string, updatedDaysAgo: number) =>
      sys.sql.query(
        `insert into calendar_events (id, calendar_id, google_event_id, summary, start_time, end_time, status, attendees, created_at, updated_at)
         values (gen_random_uuid(), $1, $2, $2, $3::timestamptz - interval '1 hour', $3, $4, '[]', now(), now() - make_interval(days => $5))`,
        [sys.calendarId, id, end, status, updatedDaysAgo],
      );
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    await mk('cancelledlongago', daysAgo(-30), 'cancelled', 8); // cancelled 8 days ago: goes (7-day grace)
    await mk('cancelledrecently', daysAgo(-30), 'cancelled', 2); // cancelled 2 days ago: stays
    await mk('endedbeyondretention', daysAgo(366), 'confirmed', 366); // ended 366 days ago: goes
    await mk('endedwithinretention', daysAgo(364), 'confirmed', 364); // ended 364 days ago: stays
    await mk('upcoming', daysAgo(-3), 'confirmed', 1); // stays
    await sys.sql.query(
      `insert into connected_calendars (calendar_id, state, state_since, created_at, updated_at)
       values ('stopped@acme.test', 'disconnected', now(), now(), now()), ('watched@acme.test', 'active', now(), now(), now()), ('x', 'active', now(), now(), now())`,
    );
    await sys.sql.query(
      `insert into calendar_sync_states (id, calendar_id, channel_id, resource_id, expiration, active, created_at, updated_at)
       values (gen_random_uuid(), 'stopped@acme.test', 'old-channel', 'res', now() - interval '1 day', false, now(), now()),
              (gen_random_uuid(), 'watched@acme.test', 'live-channel', 'res2', now() + interval '1 day', true, now(), now())`,
    );
    await sys.sql.query(`insert into sync_reconciliations (id, calendar_id, ran_at, changed, deleted, full_sync, channel_silent, channel_renewed)
      values (gen_random_uuid(), 'x', now() - interval '40 days', 0, 0, false, false, false), (gen_random_uuid(), 'x', now(), 1, 0, false, false, false)`);
    sys.emulator.control.resetStats();

    const result = await jobs().runNow('cleanup');

    expect(result).toMatchObject({ cancelledEventsDeleted: 1, endedEventsDeleted: 1, channelsForgotten: 1, reconciliationsPruned: 1 });
    const left = await sys.sql.query('select google_event_id from calendar_events order by 1');
    expect(left.rows.map((r) => r.google_event_id)).toEqual(['cancelledrecently', 'endedwithinretention', 'upcoming']);
    const channels = await sys.sql.query('select calendar_id, channel_id from calendar_sync_states order by 1');
    expect(channels.rows).toEqual([
      { calendar_id: 'stopped@acme.test', channel_id: null },
      { calendar_id: 'watched@acme.test', channel_id: 'live-channel' },
    ]);
    expect(sys.emulator.control.stats().total).toBe(0);
  });
});

describe('the dashboard at /jobs', () => {
  const auth = 'Basic ' + Buffer.from('ops:correct horse battery staple').toString('base64');

  it('answers 401 without or with wrong credentials', async () => {
    expect((await fetch(`${sys.app.url}/jobs/`)).status).toBe(401);
    expect((await fetch(`${sys.app.url}/jobs/api`)).status).toBe(401);
    const wrong = await fetch(`${sys.app.url}/jobs/api`, { headers: { authorization: 'Basic ' + Buffer.from('ops:guess').toString('base64') } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('serves the page and lists the three jobs with their next run times', async () => {
    const page = await fetch(`${sys.app.url}/jobs/`, { headers: { authorization: auth } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html[\s\S]*agendash/i);

    const api = await fetch(`${sys.app.url}/jobs/api?limit=50`, { headers: { authorization: auth } });
    const body = (await api.json()) as { jobs: Array<{ job: { name: string; nextRunAt: string | null; repeatInterval?: unknown } }> };
    const scheduled = body.jobs.map((j) => j.job).filter((j) => j.repeatInterval);
    expect(scheduled.map((j) => j.name).sort()).toEqual(['cleanup', 'reconcile', 'renew-channels']);
    for (const j of scheduled) expect(new Date(j.nextRunAt ?? 0).getTime()).toBeGreaterThan(Date.now());
  });

  it('lets an operator re-run a job', async () => {
    const starts = async () => Number((await sys.sql.query(`select count(*) from agenda_logs where job_name = 'cleanup' and event = 'start'`)).rows[0].count);
    const before = await starts();
    const api = await fetch(`${sys.app.url}/jobs/api?limit=50`, { headers: { authorization: auth } });
    const body = (await api.json()) as { jobs: Array<{ job: { _id: string; name: string } }> };
    const cleanupJob = body.jobs.find((j) => j.job.name === 'cleanup');
    const requeue = await fetch(`${sys.app.url}/jobs/api/jobs/requeue`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ jobIds: [cleanupJob?.job._id] }),
    });
    expect(requeue.status).toBe(200);
    await eventually(async () => expect(await starts()).toBeGreaterThan(before), 15_000);
  });
});

