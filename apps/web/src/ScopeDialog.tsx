import type { RouterInputs } from '@calsync/client';
import { useEffect, useId, useRef, useState } from 'react';
import type { ApiProblem } from './errors.ts';

/** Which occurrences of a recurring meeting a change or a cancel is for, as the API takes it. */
export type EditScope = NonNullable<RouterInputs['calendar']['updateEvent']['scope']>;

const CHOICES: ReadonlyArray<{ scope: EditScope; label: string }> = [
  { scope: 'instance', label: 'This meeting' },
  { scope: 'following', label: 'This and following meetings' },
  { scope: 'series', label: 'All meetings' },
];

/**
 * Asks, before an occurrence of a recurring meeting is changed or cancelled, whether the change is
 * for this one, this and the following ones, or all of them (as Google Calendar asks). A native
 * modal <dialog>: focus stays in it and Escape closes it. No <form> around the choices, so Enter
 * on a choice chooses nothing; the choice starts at "This meeting", the change that reaches least far.
 */
export function ScopeDialog(props: {
  title: string;
  /** Which occurrence, in words (its title and when). */
  occurrence: string;
  confirmLabel: string;
  busyLabel: string;
  dismissLabel: string;
  /** A cancel: the confirm button looks dangerous. */
  danger?: boolean;
  busy: boolean;
  problem?: ApiProblem | null;
  onConfirm: (scope: EditScope) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const first = useRef<HTMLInputElement>(null);
  const [scope, setScope] = useState<EditScope>('instance');
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    // Mounted only while asking; StrictMode runs this twice in development, hence the check.
    if (dialog && !dialog.open) dialog.showModal();
    first.current?.focus();
  }, []);
  return (
    <dialog ref={ref} className="panel dialog scope-dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-which`} onClose={props.onClose}>
      <h2 id={`${id}-title`}>{props.title}</h2>
      <p id={`${id}-which`}>{props.occurrence}</p>
      <fieldset className="choices">
        <legend>Which meetings?</legend>
        {CHOICES.map((c, i) => (
          <label key={c.scope} className="check">
            <input ref={i === 0 ? first : undefined} type="radio" name={`${id}-scope`} value={c.scope} checked={scope === c.scope} onChange={() => setScope(c.scope)} />
            {c.label}
          </label>
        ))}
      </fieldset>
      {props.problem && (
        <p className="error" role="alert">
          {props.problem.message}
        </p>
      )}
      <div className="actions">
        <button type="button" className={props.danger ? 'danger' : 'primary'} disabled={props.busy} onClick={() => props.onConfirm(scope)}>
          {props.busy ? props.busyLabel : props.confirmLabel}
        </button>
        <button type="button" onClick={() => ref.current?.close()}>
          {props.dismissLabel}
        </button>
      </div>
    </dialog>
  );
}
