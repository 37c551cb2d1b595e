import type { EventDTO } from '@calsync/client';
import { useState } from 'react';
import { formatDay, formatTime } from './dates.ts';
import type { ApiProblem } from './errors.ts';
import { describeRecurrence } from './recurrence.ts';
import { RepeatMark } from './RepeatMark.tsx';
import { ScopeDialog, type EditScope } from './ScopeDialog.tsx';

/** One meeting: when, who, the Meet link, and what the rep can do with it. */
export function EventPanel(props: {
  event: EventDTO;
  /** An occurrence's series rule (getEvent's `recurrence`): undefined while it loads. */
  recurrence: string[] | null | undefined;
  /** Shown once, right after the meeting was scheduled. */
  justCreated: boolean;
  busy: boolean;
  problem: ApiProblem | null;
  onEdit: () => void;
  /** `scope` only for an occurrence of a recurring meeting. */
  onCancel: (scope?: EditScope) => void;
  onClose: () => void;
}) {
  const e = props.event;
  const [confirming, setConfirming] = useState(false);
  const cancelled = e.status === 'cancelled';
  const occurrence = e.recurringEventId !== null;
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
      {occurrence && (
        <p className="repeats" data-loading={props.recurrence === undefined || undefined}>
          <RepeatMark />{' '}
          {props.recurrence
            ? describeRecurrence(props.recurrence, { start: e.originalStartTime ?? e.startTime })
            : props.recurrence === null
              ? // Google told the occurrence's series but we hold no rule for it (yet).
                'Part of a repeating meeting'
              : 'Repeating meeting'}
        </p>
      )}
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
      <CrmLinks links={e.links} />
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
      {!cancelled && confirming && occurrence && (
        <ScopeDialog
          title="Cancel a repeating meeting"
          occurrence={`${e.summary || '(no title)'}, ${formatDay(e.startTime)} ${formatTime(e.startTime)}${e.attendees.length ? '. Everyone invited is told.' : ''}`}
          confirmLabel="Yes, cancel"
          busyLabel="Cancelling…"
          dismissLabel="Don’t cancel"
          danger
          busy={props.busy}
          problem={props.problem}
          onConfirm={(scope) => props.onCancel(scope)}
          onClose={() => setConfirming(false)}
        />
      )}
      {!cancelled && confirming && !occurrence && (
        <div className="actions confirm">
          <span>Cancel this meeting{e.attendees.length ? ' for everyone invited' : ''}?</span>
          <button type="button" className="danger" disabled={props.busy} onClick={() => props.onCancel()}>
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

/** The CRM records the meeting belongs to (kept in Google too, so they survive edits made there). */
function CrmLinks({ links }: { links: EventDTO['links'] }) {
  if (!links.dealId && !links.companyId && links.contactIds.length === 0) return null;
  return (
    <dl className="crm-links" aria-label="CRM links">
      {links.dealId && (
        <div data-link="deal">
          <dt>Deal</dt>
          <dd>{links.dealId}</dd>
        </div>
      )}
      {links.companyId && (
        <div data-link="company">
          <dt>Company</dt>
          <dd>{links.companyId}</dd>
        </div>
      )}
      {links.contactIds.length > 0 && (
        <div data-link="contacts">
          <dt>{links.contactIds.length === 1 ? 'Contact' : 'Contacts'}</dt>
          <dd>{links.contactIds.join(', ')}</dd>
        </div>
      )}
    </dl>
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
