import type { CalendarClient } from '@calsync/client';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { calendarName, problemOf, STATE_LABELS, type CalendarState, type CalendarStatus, type Connection } from './calendars.ts';
import { formatRelative, formatStamp } from './dates.ts';
import { DisconnectDialog } from './DisconnectDialog.tsx';
import { describeError } from './errors.ts';
import { eventsKey } from './live.ts';

/** Rows per "More": a screenful, so a team of hundreds is not read in one go. */
const PAGE_SIZE = 25;

type Filter = CalendarState | 'all';
const FILTERS: Array<[Filter, string]> = [
  ['all', 'All states'],
  ['active', STATE_LABELS.active],
  ['error', STATE_LABELS.error],
  ['disconnected', STATE_LABELS.disconnected],
];

/**
 * The admin's view of every connected calendar: how each is doing (state, what went wrong, when
 * its push channel expires, when it last synced and last heard from Google), and what an admin
 * does about it: look at its week, disconnect it, connect a user's calendar by address.
 */
export function AdminCalendars(props: {
  client: CalendarClient;
  mode: Connection['mode'];
  /** The admin's own calendar id, so disconnecting it reads "your". */
  ownCalendarId: string | null;
  onView: (calendar: CalendarStatus) => void;
}) {
  const { client } = props;
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<Filter>('all');
  const [email, setEmail] = useState('');
  const [connected, setConnected] = useState<CalendarStatus | null>(null);
  const [disconnecting, setDisconnecting] = useState<CalendarStatus | null>(null);

  const list = useInfiniteQuery({
    queryKey: ['calendars', filter],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => client.calendar.calendars.query({ limit: PAGE_SIZE, cursor: pageParam, ...(filter === 'all' ? {} : { state: filter }) }),
    getNextPageParam: (last) => last.nextCursor,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];

  // Any change to a calendar may move it between filters, and may be the admin's own.
  const changed = () => {
    void queryClient.invalidateQueries({ queryKey: ['calendars'] });
    void queryClient.invalidateQueries({ queryKey: ['connection'] });
  };

  const connect = useMutation({
    mutationFn: (userEmail: string) => client.calendar.connect.mutate({ userEmail }),
    onSuccess: (c) => {
      setConnected(c);
      setEmail('');
      changed();
    },
  });

  const disconnect = useMutation({
    mutationFn: ({ calendarId, keepEvents }: { calendarId: string; keepEvents: boolean }) => client.calendar.disconnect.mutate({ calendarId, keepEvents }),
    onSuccess: (c) => {
      setDisconnecting(null);
      changed();
      queryClient.removeQueries({ queryKey: eventsKey(c.calendarId) });
    },
  });

  const connectProblem = connect.error ? describeError(connect.error) : null;
  const listProblem = list.error ? describeError(list.error) : null;

  return (
    <main className="content admin">
      <section className="panel admin-panel" aria-labelledby="calendars-title">
        <header className="panel-head">
          <h2 id="calendars-title">Connected calendars</h2>
          <button type="button" onClick={() => void list.refetch()} disabled={list.isFetching}>
            {list.isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        </header>

        {props.mode === 'delegation' && (
          <form
            className="connect-user"
            aria-label="Connect a user’s calendar"
            onSubmit={(e) => {
              e.preventDefault();
              setConnected(null);
              if (email.trim()) connect.mutate(email.trim());
            }}
          >
            <label>
              Connect a user’s calendar
              <input name="userEmail" type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="rep@yourcompany.com" />
            </label>
            <button type="submit" className="primary" disabled={connect.isPending}>
              {connect.isPending ? 'Connecting…' : 'Connect'}
            </button>
          </form>
        )}
        {connect.isPending && (
          <p className="muted" role="status">
            Checking access with Google, then copying the calendar…
          </p>
        )}
        {connectProblem && (
          <p className="error" role="alert" data-reason={connectProblem.reason ?? undefined}>
            {connectProblem.message}
          </p>
        )}
        {connected && !connect.isPending && (
          <p className="success" role="status">
            Connected {calendarName(connected)}: its meetings are copied and changes in Google are followed
            {connected.ownerId === null ? '. It becomes theirs when they first open this page.' : '.'}
          </p>
        )}

        <div className="list-controls">
          <label>
            Show
            <select name="state" value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
              {FILTERS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <span className="muted" aria-live="polite">
            {list.isPending ? 'Loading…' : `${rows.length}${list.hasNextPage ? '+' : ''} calendar${rows.length === 1 ? '' : 's'}`}
          </span>
        </div>

        {listProblem && (
          <p className="error" role="alert">
            {listProblem.message}
          </p>
        )}
        {!list.isPending && !listProblem && rows.length === 0 && <p className="muted">{filter === 'all' ? 'No calendar is connected yet.' : 'No calendar in this state.'}</p>}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table className="calendars">
              <thead>
                <tr>
                  <th scope="col">Calendar</th>
                  <th scope="col">State</th>
                  <th scope="col">Reason / last error</th>
                  <th scope="col">Channel expires</th>
                  <th scope="col">Last sync</th>
                  <th scope="col">Last change from Google</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <CalendarRow
                    key={c.calendarId}
                    calendar={c}
                    delegation={props.mode === 'delegation'}
                    busy={connect.isPending}
                    onView={() => props.onView(c)}
                    onDisconnect={() => {
                      disconnect.reset();
                      setDisconnecting(c);
                    }}
                    onReconnect={() => {
                      setConnected(null);
                      connect.mutate(calendarName(c));
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.hasNextPage && (
          <div className="actions">
            <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {list.isFetchingNextPage ? 'Loading…' : 'More'}
            </button>
          </div>
        )}
      </section>
      {disconnecting && (
        <DisconnectDialog
          calendar={calendarName(disconnecting)}
          own={disconnecting.calendarId === props.ownCalendarId}
          busy={disconnect.isPending}
          problem={disconnect.error ? describeError(disconnect.error) : null}
          onConfirm={(keepEvents) => disconnect.mutate({ calendarId: disconnecting.calendarId, keepEvents })}
          onClose={() => setDisconnecting(null)}
        />
      )}
    </main>
  );
}

/**
 * One calendar and what can be done with it. A disconnected one has no week to view (nothing
 * follows it in Google, so the API refuses to act on it) and can only be connected again; the
 * shared calendar of shared mode is configured, so there is nothing to disconnect or reconnect.
 */
function CalendarRow(props: { calendar: CalendarStatus; delegation: boolean; busy: boolean; onView: () => void; onDisconnect: () => void; onReconnect: () => void }) {
  const c = props.calendar;
  const name = calendarName(c);
  const problem = problemOf(c);
  const expired = c.channelExpiration !== null && c.channelExpiration.getTime() < Date.now();
  return (
    <tr data-calendar-id={c.calendarId} data-state={c.state}>
      <th scope="row" className="cal-name">
        {name}
        {name !== c.calendarId && <span className="muted"> ({c.calendarId})</span>}
      </th>
      <td>
        <span className={`state state-${c.state}`}>{STATE_LABELS[c.state]}</span>
        <span className="muted small">
          {' '}
          since <When at={c.stateSince} />
        </span>
      </td>
      <td className="problem">
        {problem ?? <span className="muted">—</span>}
        {c.state === 'error' && c.retryAt && (
          <span className="muted small">
            {' '}
            Next try <When at={c.retryAt} />.
          </span>
        )}
      </td>
      <td className={expired ? 'danger-text' : undefined}>{c.channelExpiration ? <When at={c.channelExpiration} /> : <span className="muted">No channel</span>}</td>
      <td>{c.lastSyncAt ? <When at={c.lastSyncAt} /> : <span className="muted">Never</span>}</td>
      <td>{c.lastNotificationAt ? <When at={c.lastNotificationAt} /> : <span className="muted">—</span>}</td>
      <td className="row-actions">
        {c.state !== 'disconnected' && (
          <button type="button" onClick={props.onView} aria-label={`View week of ${name}`}>
            View week
          </button>
        )}
        {props.delegation && c.state !== 'disconnected' && (
          <button type="button" className="danger" onClick={props.onDisconnect} aria-label={`Disconnect ${name}`}>
            Disconnect
          </button>
        )}
        {props.delegation && c.state === 'disconnected' && (
          <button type="button" onClick={props.onReconnect} disabled={props.busy} aria-label={`Reconnect ${name}`}>
            Reconnect
          </button>
        )}
      </td>
    </tr>
  );
}

/** A moment as "in 6 days" / "3 minutes ago", the exact time on hover and for assistive tech. */
function When({ at }: { at: Date }) {
  return (
    <time dateTime={at.toISOString()} title={formatStamp(at)}>
      {formatRelative(at)}
    </time>
  );
}
