import type { Mode } from './report.ts';

/** How big each scenario is in a mode; `quick` is CI-sized (the whole run well under two minutes on 2 cores). */
export interface Sizes {
  listRows: number;
  listSeconds: number;
  /** The saturated list loads run as this many alternating rounds (tRPC, raw SQL, tRPC, ...). */
  listRounds: number;
  /** How long the machine's own stalls are measured (a spinning thread on the idle machine). */
  hiccupSeconds: number;
  syncEvents: number;
  samples: number;
  stormEdits: number;
  /** Weekly series over two years in the recurring calendar (~104 occurrences each). */
  recurringSeries: number;
  /** Reps' own calendars (delegation mode) connected in the calendars phase, and the events of each. */
  calendars: number;
  calendarEvents: number;
  /** Connects in flight at once while onboarding. */
  connectConcurrency: number;
  /** Calendars that get a notification storm at once, and the edits (notifications) of each storm. */
  stormCalendars: number;
  stormEditsPerCalendar: number;
  /** Reps creating meetings while the renewal runs. */
  repsAtWork: number;
  /** How long the server is left alone before its idle RSS is read. */
  restSeconds: number;
  /** Each listEvents load of the calendars phase (saturated, then at a steady rate). */
  calendarListSeconds: number;
}

type CalendarSizes = Pick<Sizes, 'calendars' | 'calendarEvents' | 'connectConcurrency' | 'stormCalendars' | 'stormEditsPerCalendar' | 'repsAtWork' | 'restSeconds' | 'calendarListSeconds'>;
const CALENDARS_FULL: CalendarSizes = { calendars: 10_000, calendarEvents: 50, connectConcurrency: 32, stormCalendars: 1000, stormEditsPerCalendar: 50, repsAtWork: 10, restSeconds: 60, calendarListSeconds: 8 };
const CALENDARS_QUICK: CalendarSizes = { calendars: 300, calendarEvents: 50, connectConcurrency: 32, stormCalendars: 100, stormEditsPerCalendar: 50, repsAtWork: 5, restSeconds: 40, calendarListSeconds: 3 };

export const SIZES: Record<Mode, Sizes> = {
  full: { listRows: 1_000_000, listSeconds: 12, listRounds: 4, hiccupSeconds: 10, syncEvents: 100_000, samples: 50, stormEdits: 1000, recurringSeries: 200, ...CALENDARS_FULL },
  quick: { listRows: 100_000, listSeconds: 4, listRounds: 2, hiccupSeconds: 3, syncEvents: 20_000, samples: 20, stormEdits: 1000, recurringSeries: 20, ...CALENDARS_QUICK },
};
