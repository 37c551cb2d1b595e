import type { EventDTO } from '@calsync/client';
import { useState, type FormEvent } from 'react';
import { fromInputs, toDateInput, toTimeInput } from './dates.ts';
import type { ApiProblem } from './errors.ts';
import { weekdayName, weeklyOn } from './recurrence.ts';
import { SuggestedTimes, type Suggest } from './SuggestedTimes.tsx';

export interface MeetingDraft {
  summary: string;
  startTime: Date;
  endTime: Date;
  attendees: string[];
  description: string;
  createMeetLink: boolean;
  /** A new meeting that repeats: its RRULE lines (null: once). */
  recurrence: string[] | null;
  /** The CRM deal the meeting belongs to, as typed ('' = none); the server checks it. */
  dealId: string;
}

const DURATIONS = [15, 30, 45, 60, 90, 120];

/** Emails typed one per line or separated by commas, spaces or semicolons. */
function parseAttendees(text: string): string[] {
  return text.split(/[\s,;]+/).filter((s) => s.length > 0);
}

/**
 * Schedules a meeting, or edits one (`event` given). Problems are the API's: the form shows its
 * messages next to the fields they name, so the rules live in one place, the server.
 */
export function MeetingForm(props: {
  event?: EventDTO;
  initialStart: Date;
  busy: boolean;
  problem: ApiProblem | null;
  /** A new meeting's form suggests free times through this (absent: no suggestions). */
  suggest?: Suggest;
  onSubmit: (draft: MeetingDraft) => void;
  onClose: () => void;
}) {
  const e = props.event;
  const initialMinutes = e ? Math.round((e.endTime.getTime() - e.startTime.getTime()) / 60_000) : 30;
  const [summary, setSummary] = useState(e?.summary ?? '');
  const [date, setDate] = useState(toDateInput(e?.startTime ?? props.initialStart));
  // The day suggestions start from: the date the rep typed, not one a picked suggestion filled in
  // (picking must not reshuffle the list it was picked from).
  const [suggestFrom, setSuggestFrom] = useState(date);
  const [time, setTime] = useState(toTimeInput(e?.startTime ?? props.initialStart));
  const [minutes, setMinutes] = useState(initialMinutes);
  const [attendees, setAttendees] = useState((e?.attendees ?? []).map((a) => a.email).join(', '));
  const [description, setDescription] = useState(e?.description ?? '');
  const [meet, setMeet] = useState(true);
  const [weekly, setWeekly] = useState(false);
  const [dealId, setDealId] = useState(e?.links.dealId ?? '');
  const [localProblem, setLocalProblem] = useState<string | null>(null);

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const startTime = fromInputs(date, time);
    if (!startTime) {
      setLocalProblem('Pick a date and a start time.');
      return;
    }
    setLocalProblem(null);
    props.onSubmit({
      summary,
      startTime,
      endTime: new Date(startTime.getTime() + minutes * 60_000),
      attendees: parseAttendees(attendees),
      description,
      createMeetLink: meet,
      recurrence: weekly && !e ? weeklyOn(startTime) : null,
      dealId: dealId.trim(),
    });
  };

  const fields = props.problem?.fields ?? {};
  const list = parseAttendees(attendees);
  // The API names attendees by position ("attendees.1"); say which address it means.
  const attendeeErrors = Object.entries(fields)
    .filter(([field]) => field === 'attendees' || field.startsWith('attendees.'))
    .map(([field, message]) => {
      const index = Number(field.split('.')[1]);
      const email = Number.isInteger(index) ? list[index] : undefined;
      return email ? `${email}: ${message}` : message;
    });
  const timeError = fields.startTime ?? fields.endTime;
  const known = new Set(['summary', 'startTime', 'endTime', 'description', 'recurrence', 'timeZone', 'links']);
  // Only the deal is edited here; the API names it `links.dealId` (or `links` as a whole).
  const dealError = fields['links.dealId'] ?? Object.entries(fields).find(([field]) => field === 'links' || field.startsWith('links.'))?.[1];
  const repeatError = fields.timeZone ?? Object.entries(fields).find(([field]) => field.startsWith('recurrence'))?.[1];
  // The weekday the meeting repeats on follows the date picked.
  const pickedStart = fromInputs(date, time);
  const shownAtFields = Object.keys(fields).some((f) => known.has(f) || f.startsWith('attendees') || f.startsWith('recurrence') || f.startsWith('links.'));

  return (
    <form className="panel meeting-form" onSubmit={submit} aria-label={e ? 'Edit meeting' : 'Schedule a meeting'} noValidate>
      <header className="panel-head">
        <h2>{e ? 'Edit meeting' : 'Schedule a meeting'}</h2>
        <button type="button" className="icon" onClick={props.onClose} aria-label="Close">
          ×
        </button>
      </header>
      <label>
        Title
        <input name="summary" value={summary} onChange={(v) => setSummary(v.target.value)} placeholder="Intro call with Acme" autoFocus />
        {fields.summary && <span className="field-error">{fields.summary}</span>}
      </label>
      <div className="row">
        <label>
          Date
          <input
            name="date"
            type="date"
            value={date}
            onChange={(v) => {
              setDate(v.target.value);
              setSuggestFrom(v.target.value);
            }}
          />
        </label>
        <label>
          Start
          <input name="time" type="time" value={time} step={300} onChange={(v) => setTime(v.target.value)} />
        </label>
        <label>
          Duration
          <select name="duration" value={minutes} onChange={(v) => setMinutes(Number(v.target.value))}>
            {[...new Set([...DURATIONS, initialMinutes])].sort((a, b) => a - b).map((m) => (
              <option key={m} value={m}>
                {m < 60 ? `${m} min` : `${m / 60} h`.replace('.5 h', ' h 30')}
              </option>
            ))}
          </select>
        </label>
      </div>
      {timeError && <span className="field-error">{timeError}</span>}
      {!e && props.suggest && (
        <SuggestedTimes
          suggest={props.suggest}
          minutes={minutes}
          fromDay={suggestFrom}
          picked={pickedStart}
          onPick={(slot) => {
            setDate(toDateInput(slot.start));
            setTime(toTimeInput(slot.start));
          }}
        />
      )}
      <label>
        Attendees
        <textarea name="attendees" rows={2} value={attendees} onChange={(v) => setAttendees(v.target.value)} placeholder="buyer@example.com, cto@example.com" />
        {attendeeErrors.map((m) => (
          <span key={m} className="field-error">
            {m}
          </span>
        ))}
      </label>
      <label>
        Deal <span className="muted small">(optional: the CRM deal id)</span>
        <input name="dealId" value={dealId} onChange={(v) => setDealId(v.target.value)} placeholder="deal-42" autoComplete="off" spellCheck={false} />
        {dealError && <span className="field-error">{dealError}</span>}
      </label>
      <label>
        Notes
        <textarea name="description" rows={2} value={description} onChange={(v) => setDescription(v.target.value)} />
        {fields.description && <span className="field-error">{fields.description}</span>}
      </label>
      {!e && (
        <label className="check">
          <input name="meet" type="checkbox" checked={meet} onChange={(v) => setMeet(v.target.checked)} />
          Add Google Meet video conferencing
        </label>
      )}
      {!e && (
        <label className="check">
          <input name="repeat" type="checkbox" checked={weekly} onChange={(v) => setWeekly(v.target.checked)} />
          Repeat weekly{pickedStart ? ` on ${weekdayName(pickedStart)}` : ''}
        </label>
      )}
      {repeatError && <span className="field-error">{repeatError}</span>}
      {localProblem && (
        <p className="error" role="alert">
          {localProblem}
        </p>
      )}
      {props.problem && !shownAtFields && (
        <p className="error" role="alert">
          {props.problem.message}
        </p>
      )}
      {props.problem && shownAtFields && (
        <p className="error" role="alert">
          Please fix the fields marked above.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={props.busy}>
          {props.busy ? 'Saving…' : e ? 'Save changes' : 'Schedule meeting'}
        </button>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
