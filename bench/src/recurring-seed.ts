import type { EmulatorControl, EventInput } from '@calsync/google-calendar-emulator';

/**
 * A sales rep's calendar of weekly meetings, as the emulator holds it: `series` weekly series
 * over two years (~104 occurrences each, ~20,800 for 200), in the zones a distributed team has,
 * with the exceptions real calendars carry. Deterministic: every run builds the same calendar
 * (relative to the emulator's clock, which the horizon is measured from).
 *
 * - 45 % end after two years (`COUNT=104`), 15 % on a date two years out (`UNTIL`), 40 % never
 *   (the emulator expands them up to its horizon, 730 days after its "now": ~104 each).
 * - Starts in the current four weeks (one week ago to two ahead), Monday to Friday, 08:00-17:00
 *   local, 30-60 minutes; every 50th an all-day series (a weekly "Focus day").
 * - Content like the list benchmark's rows: two attendees, a Meet link (timed ones), a
 *   description on a quarter, a room on a third.
 * - Exceptions, made as a person does in Google Calendar: one occurrence moved an hour on every
 *   8th series, one renamed on every 12th, one cancelled on every 10th, an EXDATE (a holiday) in
 *   every 25th series' rule, and every 100th split "this and following" in its second year.
 */
export interface RecurringCalendar {
  seriesIds: string[];
  /** The Monday (UTC midnight) of the week the first series start in. */
  firstWeek: Date;
  exceptions: { moved: number; renamed: number; cancelled: number; exdates: number; splits: number };
}

const ZONES = ['Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Europe/London', 'Asia/Kolkata', 'Australia/Sydney', 'America/Sao_Paulo', 'Asia/Tokyo', 'UTC'] as const;
const TITLES = ['Pipeline review', '1:1', 'Customer check-in', 'Team stand-up', 'Forecast call', 'Account planning', 'Deal desk', 'Enablement'] as const;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Two years of weekly occurrences. */
export const WEEKS = 104;

export function seedRecurringCalendar(control: EmulatorControl, calendarId: string, series: number, nowMs: number): RecurringCalendar {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  // Monday of this week (1970-01-01 was a Thursday), then one week back.
  const firstWeek = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY_MS - WEEK_MS;
  const plans = Array.from({ length: series }, (_, i) => plan(i, firstWeek));
  const { ids } = control.seedEvents(
    calendarId,
    plans.map((p) => p.input),
  );
  const exceptions = { moved: 0, renamed: 0, cancelled: 0, exdates: plans.filter((p) => p.exdate).length, splits: 0 };
  ids.forEach((id, i) => {
    const p = plans[i]!;
    if (p.allDay) return;
    // Occurrence k of a series: the same local time k weeks on (its UTC instant moves with DST).
    const at = (k: number) => rfc3339(p.localDate(k), p.localTime, p.zone);
    if (i % 8 === 3) {
      const k = 20 + (i % 30);
      const moved = shiftLocal(p.localDate(k), p.localTime, 60);
      control.editInstance(calendarId, id, at(k), {
        start: { dateTime: moved.start, timeZone: p.zone },
        end: { dateTime: shiftLocal(p.localDate(k), p.localTime, 60 + p.minutes).start, timeZone: p.zone },
      });
      exceptions.moved++;
    }
    if (i % 12 === 5) {
      control.editInstance(calendarId, id, at(30 + (i % 40)), { summary: `${p.title} (customer on site)` });
      exceptions.renamed++;
    }
    if (i % 10 === 7) {
      control.cancelInstance(calendarId, id, at(40 + (i % 20)));
      exceptions.cancelled++;
    }
    if (i % 100 === 42) {
      control.splitSeries(calendarId, id, at(70), { summary: `${p.title} (new format)` });
      exceptions.splits++;
    }
  });
  return { seriesIds: ids, firstWeek: new Date(firstWeek), exceptions };
}

interface Plan {
  input: EventInput;
  allDay: boolean;
  zone: string;
  title: string;
  localTime: string;
  minutes: number;
  exdate: boolean;
  /** YYYY-MM-DD of occurrence k (local date). */
  localDate(k: number): string;
}

function plan(i: number, firstWeek: number): Plan {
  const zone = ZONES[i % ZONES.length]!;
  const title = `${TITLES[i % TITLES.length]!} #${i}`;
  // Weekday (Mon-Fri) and week (-1..+2) spread independently of the zone.
  const weekday = Math.floor(i / ZONES.length) % 5;
  const day0 = firstWeek + (Math.floor(i / 5) % 4) * WEEK_MS + weekday * DAY_MS;
  const localDate = (k: number) => new Date(day0 + k * WEEK_MS).toISOString().slice(0, 10);
  const hour = 8 + ((i * 7) % 10);
  const minute = (i % 2) * 30;
  const minutes = [30, 45, 60][i % 3]!;
  const localTime = `${pad(hour)}:${pad(minute)}:00`;
  const kind = i % 20;
  const rule = kind < 9 ? `COUNT=${WEEKS}` : kind < 12 ? `UNTIL=${localDate(WEEKS - 1).replace(/-/g, '')}T235959Z` : undefined;
  const exdate = i % 25 === 11;
  const allDay = i % 50 === 17;
  const common: EventInput = {
    summary: title,
    attendees: [
      { email: `buyer${i % 9973}@example.com`, displayName: `Buyer ${i}`, responseStatus: 'accepted' },
      { email: `champion${i % 7919}@example.com`, responseStatus: 'needsAction' },
    ],
    ...(i % 4 === 0 ? { description: `Agenda: pipeline, next steps, pricing questions. Account ${i % 5000}` } : {}),
    ...(i % 3 === 0 ? { location: `Room ${1 + (i % 12)}` } : {}),
  };
  if (allDay) {
    return {
      input: {
        ...common,
        summary: `Focus day #${i}`,
        start: { date: localDate(0) },
        end: { date: new Date(day0 + DAY_MS).toISOString().slice(0, 10) },
        recurrence: [`RRULE:FREQ=WEEKLY${rule ? `;${rule}` : ''}`],
      },
      allDay,
      zone: 'UTC',
      title,
      localTime,
      minutes,
      exdate: false,
      localDate,
    };
  }
  const start = `${localDate(0)}T${localTime}`;
  const recurrence = [`RRULE:FREQ=WEEKLY${rule ? `;${rule}` : ''}`];
  if (exdate) recurrence.push(`EXDATE;TZID=${zone}:${localDate(50).replace(/-/g, '')}T${localTime.replace(/:/g, '')}`);
  return {
    input: {
      ...common,
      start: { dateTime: start, timeZone: zone },
      end: { dateTime: shiftLocal(localDate(0), localTime, minutes).start, timeZone: zone },
      recurrence,
      conferenceData: { createRequest: { requestId: `bench-series-${i}`, conferenceSolutionKey: { type: 'hangoutsMeet' }, status: { statusCode: 'pending' } } },
    },
    allDay,
    zone,
    title,
    localTime,
    minutes,
    exdate,
    localDate,
  };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** A local wall time `minutes` later (same day: the bench's meetings end before midnight). */
function shiftLocal(date: string, time: string, minutes: number): { start: string } {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const total = h * 60 + m + minutes;
  return { start: `${date}T${pad(Math.floor(total / 60))}:${pad(total % 60)}:00` };
}

/** The instant of a local wall time in `zone`, as RFC3339 with its UTC offset (what the control API takes). */
function rfc3339(date: string, time: string, zone: string): string {
  const wall = Date.parse(`${date}T${time}Z`);
  let ms = wall - offsetMs(wall, zone);
  ms = wall - offsetMs(ms, zone);
  return new Date(ms).toISOString();
}

function offsetMs(ms: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - (ms - (ms % 1000));
}
