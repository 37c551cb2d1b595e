import { useEffect, useRef, useState } from 'react';
import type { ApiProblem } from './errors.ts';

/**
 * Asks before a calendar is disconnected (the rep's own, or an admin's pick), and whether to keep
 * calsync's copy of its meetings. A native modal <dialog>: focus stays in it, Escape closes it,
 * and the page behind cannot be clicked by accident, with no UI library.
 */
export function DisconnectDialog(props: {
  /** The calendar in words, e.g. the rep's address. */
  calendar: string;
  /** The signed-in user's own calendar (the wording speaks to them). */
  own: boolean;
  busy: boolean;
  problem: ApiProblem | null;
  onConfirm: (keepEvents: boolean) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [keepEvents, setKeepEvents] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    // Mounted only while asking; StrictMode runs this twice in development, hence the check.
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} className="panel dialog" aria-labelledby="disconnect-title" onClose={props.onClose}>
      <h2 id="disconnect-title">{props.own ? 'Disconnect your Google calendar?' : `Disconnect ${props.calendar}?`}</h2>
      <p>
        {props.own
          ? 'This page stops showing your week, and changes made in Google are no longer followed until you connect it again.'
          : 'calsync stops following this calendar, and its owner is asked to connect it again the next time they open the page.'}{' '}
        Google Calendar itself is not changed.
      </p>
      <label className="check">
        <input type="checkbox" name="keepEvents" checked={keepEvents} onChange={(e) => setKeepEvents(e.target.checked)} />
        Keep calsync’s copy of its meetings (otherwise the copy is deleted; Google keeps them either way)
      </label>
      {props.problem && (
        <p className="error" role="alert">
          {props.problem.message}
        </p>
      )}
      <div className="actions">
        <button type="button" className="danger" disabled={props.busy} onClick={() => props.onConfirm(keepEvents)}>
          {props.busy ? 'Disconnecting…' : 'Disconnect'}
        </button>
        {/* The safe choice has the focus: Enter on an opened dialog must not disconnect. */}
        <button type="button" autoFocus onClick={props.onClose}>
          Keep it connected
        </button>
      </div>
    </dialog>
  );
}
