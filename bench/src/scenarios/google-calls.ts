import type { ApiStats } from '@calsync/google-calendar-emulator';
import { result, type Result } from '../report.ts';
import type { BenchServer, BenchSystem } from '../system.ts';

/**
 * Calls Google (the emulator) receives per API operation, on a calendar without a push channel,
 * so only the operation's own calls count (no echo sync). Token calls are reported apart: the
 * client caches its access token, so they belong to the process, not to the operation.
 */
export async function googleCallsScenario(system: BenchSystem, server: BenchServer): Promise<Result[]> {
  const { control } = system.emulator;
  const { client } = server;
  const measure = async <T>(op: () => Promise<T>): Promise<{ value: T; api: number; token: number; calls: Record<string, number> }> => {
    control.resetStats();
    const value = await op();
    const stats: ApiStats = control.stats();
    const calls = Object.fromEntries(Object.entries(stats).filter(([k, v]) => k !== 'total' && v > 0));
    return { value, api: stats.total - stats.token, token: stats.token, calls };
  };

  const created = await measure(() =>
    client.calendar.createEvent.mutate({
      summary: 'Bench: intro call',
      startTime: new Date('2029-03-12T14:00:00Z'),
      endTime: new Date('2029-03-12T14:30:00Z'),
      attendees: ['buyer@example.com'],
      idempotencyKey: 'bench-google-calls',
    }),
  );
  const listed = await measure(() => client.calendar.listEvents.query({ timeMin: new Date('2029-03-11T00:00:00Z'), timeMax: new Date('2029-03-18T00:00:00Z') }));
  const cancelled = await measure(() => client.calendar.cancelEvent.mutate({ id: created.value.id }));
  if (!created.value.meetLink) throw new Error('createEvent returned no Meet link');
  if (!listed.value.items.some((e) => e.id === created.value.id)) throw new Error('listEvents did not show the created event');

  const details = (m: { token: number; calls: Record<string, number> }) => ({ tokenCalls: m.token, calls: m.calls });
  return [
    result('Google calls per createEvent', created.api, 'calls', { op: '<=', value: 1 }, details(created)),
    result('Google calls per listEvents', listed.api, 'calls', { op: '=', value: 0 }, details(listed)),
    result('Google calls per cancelEvent', cancelled.api, 'calls', { op: '<=', value: 1 }, details(cancelled)),
  ];
}
