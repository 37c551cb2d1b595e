import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import { AdminCalendars } from './AdminCalendars.tsx';
import { createClient } from './api.ts';
import { CalendarWeek } from './CalendarWeek.tsx';
import { calendarName, problemOf, STATE_LABELS, type CalendarStatus, type Connection } from './calendars.ts';
import { ConnectPanel } from './ConnectPanel.tsx';
import { DisconnectDialog } from './DisconnectDialog.tsx';
import { describeError } from './errors.ts';
import { eventsKey } from './live.ts';
import { forgetToken, readToken, saveToken, tokenIdentity } from './token.ts';

/**
 * What the page shows: the signed-in user's own calendar, or (admins) the list of connected
 * calendars, or one rep's calendar that an admin opened from it.
 */
type View = { kind: 'mine' } | { kind: 'calendars' } | { kind: 'calendar'; calendarId: string };

const CONNECTION_KEY = ['connection'] as const;

function initialView(): View {
  // `?calendar=<id>` / `?view=calendars`: an admin's reload keeps what they were looking at.
  const params = new URL(window.location.href).searchParams;
  const calendarId = params.get('calendar');
  if (calendarId) return { kind: 'calendar', calendarId };
  return params.get('view') === 'calendars' ? { kind: 'calendars' } : { kind: 'mine' };
}

function writeView(view: View): void {
  const url = new URL(window.location.href);
  url.searchParams.delete('calendar');
  url.searchParams.delete('view');
  if (view.kind === 'calendar') url.searchParams.set('calendar', view.calendarId);
  if (view.kind === 'calendars') url.searchParams.set('view', 'calendars');
  window.history.replaceState(null, '', url);
}

export function App() {
  const [token, setToken] = useState<string | null>(() => readToken());
  const client = useMemo(() => createClient(() => token), [token]);
  const identity = useMemo(() => (token ? tokenIdentity(token) : null), [token]);
  const queryClient = useQueryClient();
  const [view, setView] = useState<View>(initialView);
  const [confirmingDisconnect, setConfirmingDisconnect] = useState(false);
  const [justConnected, setJustConnected] = useState(false);

  const go = (next: View) => {
    setView(next);
    writeView(next);
  };

  // Who the caller is to the API: their calendar (or none), may they connect it, are they an admin.
  const connection = useQuery({
    queryKey: CONNECTION_KEY,
    enabled: token !== null,
    queryFn: () => client.calendar.connection.query(),
  });
  const setOwnCalendar = (calendar: CalendarStatus | null) => queryClient.setQueryData<Connection>(CONNECTION_KEY, (c) => (c ? { ...c, calendar } : c));

  const connect = useMutation({
    mutationFn: () => client.calendar.connect.mutate(),
    onSuccess: (calendar) => {
      setOwnCalendar(calendar);
      setJustConnected(true);
      void queryClient.invalidateQueries({ queryKey: ['calendars'] });
    },
  });

  const disconnect = useMutation({
    mutationFn: (keepEvents: boolean) => client.calendar.disconnect.mutate({ keepEvents }),
    onSuccess: () => {
      setConfirmingDisconnect(false);
      setJustConnected(false);
      setOwnCalendar(null);
      queryClient.removeQueries({ queryKey: eventsKey(undefined) });
      void queryClient.invalidateQueries({ queryKey: ['calendars'] });
    },
  });

  // The week said the calendar is not connected (an admin disconnected it meanwhile): ask again.
  const recheckConnection = useCallback(() => void queryClient.invalidateQueries({ queryKey: CONNECTION_KEY }), [queryClient]);

  if (token === null || identity === null) {
    return (
      <TokenForm
        onToken={(t) => {
          saveToken(t);
          setToken(t.trim());
        }}
      />
    );
  }

  const conn = connection.data;
  const own = conn?.calendar ?? null;
  // Only admins look at other calendars; a shared `?calendar=` link opens a rep's own page.
  const shown: View = conn?.admin ? view : { kind: 'mine' };
  const delegation = conn?.mode === 'delegation';

  let body;
  if (connection.isPending) {
    body = (
      <main className="content center">
        <p className="muted" role="status">
          Loading your calendar…
        </p>
      </main>
    );
  } else if (!conn) {
    body = (
      <main className="content center">
        <p className="error" role="alert">
          {describeError(connection.error).message}
        </p>
      </main>
    );
  } else if (shown.kind === 'calendars') {
    body = <AdminCalendars client={client} mode={conn.mode} ownCalendarId={own?.calendarId ?? null} onView={(c) => go({ kind: 'calendar', calendarId: c.calendarId })} />;
  } else if (shown.kind === 'calendar') {
    body = <CalendarWeek key={`calendar:${shown.calendarId}`} client={client} calendarId={shown.calendarId} owner={delegation ? shown.calendarId : null} onNotConnected={recheckConnection} />;
  } else if (own) {
    body = <CalendarWeek key="mine" client={client} calendarId={undefined} owner={delegation ? calendarName(own) : null} onNotConnected={recheckConnection} />;
  } else {
    body = (
      <ConnectPanel
        connection={conn}
        email={identity.email}
        emailVerified={identity.emailVerified}
        busy={connect.isPending}
        problem={connect.error ? describeError(connect.error) : null}
        onConnect={() => connect.mutate()}
      />
    );
  }

  return (
    <div className="app">
      <header className="topbar">
        <h1>Calendar</h1>
        {conn?.admin && (
          <nav className="tabs" aria-label="Sections">
            <button type="button" aria-current={shown.kind === 'mine' ? 'page' : undefined} onClick={() => go({ kind: 'mine' })}>
              My calendar
            </button>
            <button type="button" aria-current={shown.kind === 'calendars' ? 'page' : undefined} onClick={() => go({ kind: 'calendars' })}>
              Connected calendars
            </button>
          </nav>
        )}
        <div className="account">
          {conn && <SignedIn connection={conn} email={identity.email} />}
          {delegation && own && (
            <button
              type="button"
              className="link"
              onClick={() => {
                disconnect.reset();
                setConfirmingDisconnect(true);
              }}
            >
              Disconnect
            </button>
          )}
          <button
            type="button"
            className="link"
            onClick={() => {
              forgetToken();
              setToken(null);
              queryClient.clear();
              go({ kind: 'mine' });
            }}
          >
            Change token
          </button>
        </div>
      </header>
      {shown.kind === 'calendar' && (
        <p className="viewing banner" role="status">
          <span>
            Viewing <strong>{shown.calendarId}</strong>’s calendar as admin: what you schedule, change or cancel here happens in their Google calendar.
          </span>
          <button type="button" className="link" onClick={() => go({ kind: 'calendars' })}>
            Back to connected calendars
          </button>
          <button type="button" className="link" onClick={() => go({ kind: 'mine' })}>
            Back to my calendar
          </button>
        </p>
      )}
      {shown.kind === 'mine' && own?.state === 'error' && (
        <p className="notice banner" role="status">
          <span>
            Your calendar has a sync problem: {problemOf(own) ?? 'the service could not reach it'}. The service keeps retrying on its own.
          </span>
          {delegation && (
            <button type="button" className="link" disabled={connect.isPending} onClick={() => connect.mutate()}>
              {connect.isPending ? 'Reconnecting…' : 'Reconnect now'}
            </button>
          )}
        </p>
      )}
      {shown.kind === 'mine' && own && connect.error && (
        <p className="error banner" role="alert">
          {describeError(connect.error).message}
        </p>
      )}
      {shown.kind === 'mine' && own && justConnected && (
        <p className="success banner" role="status">
          <span>Your Google calendar is connected. Meetings changed in Google show up here within seconds.</span>
          <button type="button" className="link" onClick={() => setJustConnected(false)}>
            Dismiss
          </button>
        </p>
      )}
      {body}
      {confirmingDisconnect && own && (
        <DisconnectDialog
          calendar={calendarName(own)}
          own
          busy={disconnect.isPending}
          problem={disconnect.error ? describeError(disconnect.error) : null}
          onConfirm={(keepEvents) => disconnect.mutate(keepEvents)}
          onClose={() => setConfirmingDisconnect(false)}
        />
      )}
    </div>
  );
}

/** Who is signed in, and how their calendar is doing, in the header. */
function SignedIn({ connection, email }: { connection: Connection; email: string | null }) {
  const own = connection.calendar;
  const who = own ? (connection.mode === 'shared' ? `Shared calendar ${calendarName(own)}` : calendarName(own)) : (email ?? 'Signed in without an email address');
  const state = own?.state ?? 'none';
  const label = own ? STATE_LABELS[own.state] : 'Not connected';
  return (
    <span className="signed-in" title={own ? `Your calendar: ${own.calendarId}` : 'No Google calendar connected'}>
      <span className="who">{who}</span>
      <span className={`state state-${state}`} data-state={state} title={own ? (problemOf(own) ?? undefined) : undefined}>
        {label}
      </span>
    </span>
  );
}

function TokenForm({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      className="token-form panel"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) onToken(value);
      }}
    >
      <h1>Calendar</h1>
      <p>
        Paste your token. In development, <code>pnpm start</code> prints a dev token for each user (and a link that opens this page with it).
      </p>
      <label>
        Token
        <textarea name="token" rows={4} value={value} onChange={(e) => setValue(e.target.value)} placeholder="eyJ…" />
      </label>
      <div className="actions">
        <button type="submit" className="primary">
          Open calendar
        </button>
      </div>
    </form>
  );
}
