import type { EntityManager } from '@calsync/db';
import { ValidationError } from '../errors.ts';
import type { CalendarScope } from '../event/service.ts';
import { DEFAULT_WORKING_HOURS, type FindSlotsInput, type FreeBusyInput } from './inputs.ts';
import { findFreeSlots, mergeIntervals } from './slots.ts';
import { busyTimes, calendarsOfUsers } from './store.ts';

export interface TimeRange {
  start: Date;
  end: Date;
}

export interface UserBusy {
  user: string;
  /** Merged busy intervals within the window (empty when free, or when not connected). */
  busy: TimeRange[];
  /** `notConnected`: no connected calendar for this user, so their time is unknown (not free). */
  error: 'notConnected' | null;
}

export interface FreeBusyAnswer {
  timeMin: Date;
  timeMax: Date;
  calendars: UserBusy[];
}

export interface SlotsAnswer {
  slots: TimeRange[];
  users: string[];
}

/**
 * Free/busy and free-slot search answered from our copy of the calendars: zero Google calls,
 * one indexed query for everyone asked about. Anyone signed in may see colleagues' busy times
 * (never their meetings' details), as Google Workspace shares free/busy within a domain by default.
 */
export class AvailabilityService {
  constructor(private readonly deps: { em: EntityManager }) {}

  async freeBusy(scope: CalendarScope, input: FreeBusyInput): Promise<FreeBusyAnswer> {
    // One fork per request: creating an EntityManager costs more than the statements it runs here.
    const em = this.deps.em.fork();
    const { calendarsByUser, users } = await this.resolve(em, scope, input.users);
    const busy = await busyTimes(em, { calendarIds: [...new Set(calendarsByUser.values())], timeMin: input.timeMin, timeMax: input.timeMax, timeZone: input.timeZone });
    return {
      timeMin: input.timeMin,
      timeMax: input.timeMax,
      calendars: users.map((user) => {
        const calendarId = calendarsByUser.get(user);
        if (calendarId === undefined) return { user, busy: [], error: 'notConnected' as const };
        return { user, busy: (busy.get(calendarId) ?? []).map(toRange), error: null };
      }),
    };
  }

  async findSlots(scope: CalendarScope, input: FindSlotsInput): Promise<SlotsAnswer> {
    const em = this.deps.em.fork();
    const { calendarsByUser, users } = await this.resolve(em, scope, input.users);
    const missing = users.filter((u) => !calendarsByUser.has(u));
    if (missing.length > 0) throw new ValidationError('users', `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no connected calendar: their free time is unknown`);
    const bufferMs = input.buffer * 60_000;
    const busy = await busyTimes(em, {
      calendarIds: [...new Set(calendarsByUser.values())],
      // Busy time just outside the window still blocks the buffer inside it.
      timeMin: new Date(input.timeMin.getTime() - bufferMs),
      timeMax: new Date(input.timeMax.getTime() + bufferMs),
      timeZone: input.timeZone,
    });
    const slots = findFreeSlots({
      busy: mergeIntervals([...busy.values()].flat()),
      timeMin: input.timeMin.getTime(),
      timeMax: input.timeMax.getTime(),
      durationMs: input.duration * 60_000,
      bufferMs,
      stepMs: input.step * 60_000,
      workingHours: input.workingHours ?? DEFAULT_WORKING_HOURS,
      timeZone: input.timeZone,
      limit: input.limit,
    });
    return { slots: slots.map(toRange), users };
  }

  /** The users asked about (default: the caller) and their connected calendars. */
  private async resolve(em: EntityManager, scope: CalendarScope, requested: readonly string[] | undefined): Promise<{ users: string[]; calendarsByUser: Map<string, string> }> {
    if (!requested) {
      const self = (scope.subject ?? scope.calendarId).toLowerCase();
      return { users: [self], calendarsByUser: new Map([[self, scope.calendarId]]) };
    }
    const users = [...requested];
    return { users, calendarsByUser: await calendarsOfUsers(em, users) };
  }
}

const toRange = (i: { start: number; end: number }): TimeRange => ({ start: new Date(i.start), end: new Date(i.end) });
