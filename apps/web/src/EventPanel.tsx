import type { EventDTO } from '@calsync/client';
import { useState } from 'react';
import { formatDay, formatTime } from './dates.ts';
import type { ApiProblem } from './errors.ts';

/** One meeting: when, who, the Meet link, and what the rep can do with it. */
export function EventPanel(props: {
  event: EventDTO;
  /** Shown once, right after the meeting was scheduled. */
  justCreated: boolean;
  busy: boolean;
  problem: ApiProblem | null;
  onEdit: () => void;
  onCancel: () => void;
  onClose: () => void;
}) {
  const e = props.event;
  const [confirming, setConfirming] = useState(false);
  const cancelled = e.status === 'cancelled';
  return (
    <section className="panel event-panel" aria-label="Meeting">
      <header className="panel-head">
        <h2>{e.summary || '(no title)'}</h2>
        <button type="button" className="icon" onClick={props.onClose} aria-label="Close">
          ×
        </button>
      </header>
      {props.justCreated && (
        <p className="success" role="status">
          Meeting scheduled{e.attendees.length ? '; invitations go out from Google' : ''}.
        </p>
      )}
      {cancelled && <p className="notice">This meeting was cancelled.</p>}
      <p className="when">
        {formatDay(e.startTime)}, {formatTime(e.startTime)}–{formatTime(e.endTime)}
      </p>
      {e.meetLink ? (
        <p className="meet">
          <a className="meet-link" href={e.meetLink} target="_blank" rel="noreferrer">
            {e.meetLink}
          </a>
        </p>
      ) : (
        <p className="muted">No video link.</p>
      )}
      {e.attendees.length > 0 && (
        <ul className="attendees" aria-label="Attendees">
          {e.attendees.map((a) => (
            <li key={a.email}>
              {a.displayName ?? a.email} <span className={`rsvp rsvp-${a.responseStatus ?? 'needsAction'}`}>{rsvp(a.responseStatus)}</span>
            </li>
          ))}
        </ul>
      )}
      {e.description && <p className="description">{e.description}</p>}
      {e.htmlLink && (
        <p>
          <a href={e.htmlLink} target="_blank" rel="noreferrer">
            Open in Google Calendar
          </a>
        </p>
      )}
      {props.problem && (
        <p className="error" role="alert">
          {props.problem.message}
        </p>
      )}
      {!cancelled && !confirming && (
        <div className="actions">
          <button type="button" className="primary" onClick={props.onEdit}>
            Edit
          </button>
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Cancel meeting
          </button>
        </div>
      )}
      {!cancelled && confirming && (
        <div className="actions confirm">
          <span>Cancel this meeting{e.attendees.length ? ' for everyone invited' : ''}?</span>
          <button type="button" className="danger" disabled={props.busy} onClick={props.onCancel}>
            {props.busy ? 'Cancelling…' : 'Yes, cancel it'}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      )}
    </section>
  );
}

function rsvp(status: string | null): string {
  switch (status) {
    case 'accepted':
      return 'accepted';
    case 'declined':
      return 'declined';
    case 'tentative':
      return 'maybe';
    default:
      return 'no answer yet';
  }
}
