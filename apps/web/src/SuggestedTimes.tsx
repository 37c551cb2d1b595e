import type { RouterInputs, RouterOutputs } from '@calsync/client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { addDays, formatDay, formatTime, parseDateInput, TIME_ZONE } from './dates.ts';
import { describeError } from './errors.ts';

export type SlotQuery = RouterInputs['calendar']['findSlots'];
export type SlotsAnswer = RouterOutputs['calendar']['findSlots'];
export type Slot = SlotsAnswer['slots'][number];

/** How the form asks for free time: the calendar in view's `findSlots`, and whose time that is. */
export interface Suggest {
  /** The calendar's cache key: its live updates refresh the suggestions too. */
  queryKey: readonly unknown[];
  find: (query: SlotQuery, signal: AbortSignal) => Promise<SlotsAnswer>;
  /**
   * The address of the calendar's owner, named first when colleagues are added (the API then
   * checks exactly the users given); null where there are no colleagues' calendars (shared mode).
   */
  owner: string | null;
}

/** Typing a colleague's address or changing the duration asks once the rep pauses, not per keystroke. */
const SETTLE_MS = 400;
/** How far ahead to look; the API allows up to 62 days. */
const SEARCH_DAYS = 14;
const SHOWN = 6;
/** Sent, not left to the API's default, so what the form says is what was asked. */
const WORKING_HOURS = { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] };

/** Addresses typed one per line or separated by commas, spaces or semicolons. */
export function parseEmails(text: string): string[] {
  return text.split(/[\s,;]+/).filter((s) => s.length > 0);
}

/** `value` once it has stayed the same for `ms` (the first value at once). */
function useSettled(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

interface Ask {
  minutes: number;
  /** `YYYY-MM-DD`: slots from that day's start, or from now if that is later. */
  fromDay: string;
  /** null: the owner alone (the API's default, the caller or the calendar in view). */
  users: string[] | null;
}

/**
 * The next free slots of the meeting's length for the rep, and for the colleagues they add, in
 * the rep's time zone within the API's default working hours. The API answers from calsync's copy
 * of everyone's calendars (no Google call); its refusals (a colleague without a connected
 * calendar) are shown under the colleagues field.
 */
export function SuggestedTimes(props: { suggest: Suggest; minutes: number; fromDay: string; picked: Date | null; onPick: (slot: Slot) => void }) {
  const { suggest } = props;
  const [colleaguesText, setColleaguesText] = useState('');
  const colleagues = suggest.owner ? parseEmails(colleaguesText) : [];
  const wanted: Ask = { minutes: props.minutes, fromDay: props.fromDay, users: suggest.owner && colleagues.length > 0 ? [suggest.owner, ...colleagues] : null };
  const wantedKey = JSON.stringify(wanted);
  const settledKey = useSettled(wantedKey, SETTLE_MS);
  const ask = JSON.parse(settledKey) as Ask;

  const slots = useQuery({
    queryKey: [...suggest.queryKey, 'slots', settledKey],
    queryFn: ({ signal }) => {
      const dayStart = parseDateInput(ask.fromDay)?.getTime() ?? 0;
      const timeMin = new Date(Math.max(Date.now(), dayStart));
      return suggest.find(
        { duration: ask.minutes, timeMin, timeMax: addDays(timeMin, SEARCH_DAYS), timeZone: TIME_ZONE, workingHours: WORKING_HOURS, limit: SHOWN, ...(ask.users ? { users: ask.users } : {}) },
        signal,
      );
    },
    // The last suggestions stay while new ones load (marked busy), so the list does not jump.
    placeholderData: keepPreviousData,
    // A refusal (an unknown colleague) stays a refusal until the rep changes something.
    retry: false,
  });

  const busy = wantedKey !== settledKey || slots.isFetching;
  const problem = slots.error ? describeError(slots.error) : null;
  // The API names users by position (`users.2`) or as a whole (`users`: who has no calendar).
  const userErrors = Object.entries(problem?.fields ?? {})
    .filter(([field]) => field === 'users' || field.startsWith('users.'))
    .map(([field, message]) => {
      const who = ask.users?.[Number(field.split('.')[1])];
      return who && field !== 'users' ? `${who}: ${message}` : message;
    });
  const answer = slots.isError ? undefined : slots.data;
  const others = answer?.users.filter((u) => u !== suggest.owner?.toLowerCase()) ?? [];

  return (
    <section className="suggestions" aria-label="Suggested times" aria-busy={busy}>
      <h3>Suggested times</h3>
      {suggest.owner && (
        <label>
          Colleagues who must be free too
          <input
            name="colleagues"
            value={colleaguesText}
            onChange={(v) => setColleaguesText(v.target.value)}
            // Enter here adds nothing to the meeting: it must not schedule it.
            onKeyDown={(v) => v.key === 'Enter' && v.preventDefault()}
            placeholder="colleague@example.com"
            autoComplete="off"
            spellCheck={false}
          />
          {userErrors.map((m) => (
            <span key={m} className="field-error">
              {m}
            </span>
          ))}
        </label>
      )}
      {problem && userErrors.length === 0 && <p className="error">{problem.message}</p>}
      {answer && (
        <>
          <p className="muted small">
            {answer.slots.length === 0 ? 'No free time' : 'Free'} for you{others.length > 0 ? ` and ${others.join(', ')}` : ''}
            {answer.slots.length === 0 ? ` in the next ${SEARCH_DAYS} days` : ''}, {WORKING_HOURS.start}–{WORKING_HOURS.end} Monday to Friday ({TIME_ZONE}).
          </p>
          <ul className="slots">
            {answer.slots.map((s) => (
              <li key={s.start.getTime()}>
                <button type="button" data-start={s.start.toISOString()} aria-pressed={props.picked?.getTime() === s.start.getTime()} onClick={() => props.onPick(s)}>
                  {formatDay(s.start)}, {formatTime(s.start)}–{formatTime(s.end)}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
