import type { Connection } from './calendars.ts';
import type { ApiProblem } from './errors.ts';

/**
 * What a signed-in user without a connected calendar sees instead of the week: why there is no
 * week, and the one button that fixes it, or (when they cannot connect) why not and whom to ask.
 */
export function ConnectPanel(props: {
  connection: Connection;
  /** The user's address from their token (display only), when it has one. */
  email: string | null;
  emailVerified: boolean;
  busy: boolean;
  problem: ApiProblem | null;
  onConnect: () => void;
}) {
  const { connection, email } = props;
  return (
    <main className="content center">
      <section className="panel connect-panel" aria-labelledby="connect-title">
        <h2 id="connect-title">Your Google calendar is not connected</h2>
        {connection.canConnect ? (
          <>
            <p>
              To see your week and schedule meetings here, connect your Google Workspace calendar{email ? <> ({email})</> : null}. Your company’s
              Google Workspace lets this service act on your calendar (domain-wide delegation), so there is no Google sign-in to go through.
              Meetings changed in Google then show up here within seconds.
            </p>
            <div className="actions">
              <button type="button" className="primary" disabled={props.busy} onClick={props.onConnect}>
                {props.busy ? 'Connecting…' : 'Connect my Google calendar'}
              </button>
            </div>
            {props.busy && (
              <p className="muted" role="status">
                Checking access with Google, then copying your calendar. This takes a few seconds.
              </p>
            )}
          </>
        ) : (
          <p className="notice" data-cannot-connect={cannotConnectReason(props)}>
            {cannotConnectText(props)}
          </p>
        )}
        {props.problem && (
          <p className="error" role="alert" data-reason={props.problem.reason ?? undefined}>
            {props.problem.message}
          </p>
        )}
        {connection.admin && <p className="muted">As an admin you can also connect and manage everyone’s calendars under “Connected calendars”.</p>}
      </section>
    </main>
  );
}

type CannotConnect = 'shared' | 'no_email' | 'domain';

function cannotConnectReason(p: { connection: Connection; email: string | null; emailVerified: boolean }): CannotConnect {
  if (p.connection.mode === 'shared') return 'shared';
  // The server's reasons are the same two: no verified email, or a domain it may not act in.
  return p.email && p.emailVerified ? 'domain' : 'no_email';
}

function cannotConnectText(p: { connection: Connection; email: string | null; emailVerified: boolean }): string {
  switch (cannotConnectReason(p)) {
    case 'shared':
      return 'This service shows one shared calendar, set up by whoever runs it: there is nothing to connect per person. It is not connected right now; ask an admin.';
    case 'no_email':
      return 'Your sign-in carries no verified email address, so your Google account cannot be found. Ask an admin to connect your calendar for you.';
    case 'domain':
      return `Your address ${p.email ?? ''} is not in a Google Workspace domain this service works with. Ask an admin if you expected to use it.`;
  }
}
