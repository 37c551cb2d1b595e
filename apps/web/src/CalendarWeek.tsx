import type { CalendarClient, EventDetail, EventDTO } from '@calsync/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { addDays, formatDay, formatTime, formatWeek, nextHalfHour, parseDateInput, startOfWeek, TIME_ZONE, toDateInput } from './dates.ts';
import { describeError, type ApiProblem } from './errors.ts';
import { EventPanel } from './EventPanel.tsx';
import { eventsKey, useLiveUpdates, type LiveStatus } from './live.ts';
import { MeetingForm, type MeetingDraft } from './MeetingForm.tsx';
import { ScopeDialog, type EditScope } from './ScopeDialog.tsx';
import { WeekView } from './WeekView.tsx';

type Panel = { kind: 'none' } | { kind: 'new'; start: Date } | { kind: 'event'; id: string; justCreated: boolean } | { kind: 'edit'; id: string; etag: string | null };

/** A fresh idempotency key per form: a double click or a retried request still makes one meeting. */
function newKey(): string {
  // getRandomValues works on plain-HTTP origins too, where randomUUID is unavailable.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function initialWeek(): Date {
  // `?week=YYYY-MM-DD` opens that week (a shareable view; tests use a fixed one).
  return startOfWeek(parseDateInput(new URL(window.location.href).searchParams.get('week')) ?? new Date());
}

/**
 * One calendar's week: the caller's own (`calendarId` undefined), or the one an admin chose.
 * Every call names that calendar, so what is shown, scheduled, edited and cancelled is always
 * the calendar in view. Mounted once per calendar (keyed by it), so nothing of one calendar's
 * week (an open meeting, a half-filled form) carries over to another's.
 */
export function CalendarWeek(props: {
  client: CalendarClient;
  calendarId: string | undefined;
  /** Whose calendar it is (an address, asked about with colleagues for free time); null in shared mode. */
  owner: string | null;
  /** The API says the caller's own calendar is not connected (any more): the page re-reads the connection. */
  onNotConnected: () => void;
}) {
  const { client, calendarId, owner, onNotConnected } = props;
  const target = calendarId === undefined ? {} : { calendarId };
  const queryClient = useQueryClient();
  const [weekStart, setWeekStart] = useState(initialWeek);
  const [panel, setPanel] = useState<Panel>({ kind: 'none' });
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [createKey, setCreateKey] = useState(newKey);
  /** An edit of an occurrence of a recurring meeting, waiting for the rep to say which occurrences it is for. */
  const [askScope, setAskScope] = useState<MeetingDraft | null>(null);
  const live = useLiveUpdates(client, calendarId);

  const goTo = (start: Date) => {
    setWeekStart(start);
    const url = new URL(window.location.href);
    url.searchParams.set('week', toDateInput(start));
    window.history.replaceState(null, '', url);
  };

  const week = useQuery({
    queryKey: [...eventsKey(calendarId), weekStart.getTime()],
    // The previous week stays on screen while the next one loads; a calendar's week mounts
    // afresh, so it is never another calendar's previous week.
    placeholderData: keepPreviousData,
    queryFn: async () => {
      // A week rarely holds more than one page; follow the cursor anyway so nothing is missing.
      const items: EventDTO[] = [];
      let cursor: string | null = null;
      do {
        const page = await client.calendar.listEvents.query({ ...target, timeMin: weekStart, timeMax: addDays(weekStart, 7), limit: 500, cursor });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    },
  });
  const events = week.data ?? [];
  const listProblem = week.error ? describeError(week.error) : null;
  // The caller's own calendar went (an admin disconnected it meanwhile): the page shows the connect
  // panel instead of this week. A calendar an admin opened says so here instead.
  const ownGone = calendarId === undefined && listProblem?.reason === 'calendar_not_connected';
  useEffect(() => {
    if (ownGone) onNotConnected();
  }, [ownGone, onNotConnected]);
  const shownProblem =
    calendarId !== undefined && listProblem?.reason === 'calendar_not_connected'
      ? `${calendarId} is disconnected, so it has no week to show. Reconnect it from “Connected calendars”.`
      : listProblem?.message;

  // The panel keeps the last version it saw, so a meeting moved out of the week stays readable.
  const [seen, setSeen] = useState<Record<string, EventDTO>>({});
  const remember = (e: EventDTO) => setSeen((s) => ({ ...s, [e.id]: e }));
  const findEvent = (id: string) => events.find((e) => e.id === id) ?? seen[id];

  const detailKey = (id: string) => [...eventsKey(calendarId), 'detail', id] as const;
  const afterWrite = (e: EventDetail) => {
    remember(e);
    setProblem(null);
    // The answer tells the rule: the panel shows it without asking again.
    queryClient.setQueryData(detailKey(e.id), e);
    void queryClient.invalidateQueries({ queryKey: eventsKey(calendarId) });
  };
  const failed = (err: unknown) => {
    const p = describeError(err);
    setProblem(p);
    if (calendarId === undefined && p.reason === 'calendar_not_connected') onNotConnected();
  };

  const create = useMutation({
    mutationFn: (d: MeetingDraft) =>
      client.calendar.createEvent.mutate({
        ...target,
        summary: d.summary,
        startTime: d.startTime,
        endTime: d.endTime,
        timeZone: TIME_ZONE,
        attendees: d.attendees,
        ...(d.description ? { description: d.description } : {}),
        createMeetLink: d.createMeetLink,
        ...(d.recurrence ? { recurrence: d.recurrence } : {}),
        ...(d.dealId ? { links: { dealId: d.dealId } } : {}),
        idempotencyKey: createKey,
      }),
    onSuccess: (e) => {
      afterWrite(e);
      setCreateKey(newKey());
      setPanel({ kind: 'event', id: e.id, justCreated: true });
      // Show the week the new meeting is in.
      if (e.startTime < weekStart || e.startTime >= addDays(weekStart, 7)) goTo(startOfWeek(e.startTime));
    },
    onError: failed,
  });

  const update = useMutation({
    mutationFn: ({ original, etag, d, scope }: { original: EventDTO; etag: string | null; d: MeetingDraft; scope?: EditScope }) => {
      const emails = (list: string[]) => list.join('\n');
      const timesChanged = d.startTime.getTime() !== original.startTime.getTime() || d.endTime.getTime() !== original.endTime.getTime();
      return client.calendar.updateEvent.mutate({
        ...target,
        id: original.id,
        // Only what the rep changed, checked against the version they started from (etag).
        ...(d.summary !== original.summary ? { summary: d.summary } : {}),
        ...(d.description !== (original.description ?? '') ? { description: d.description } : {}),
        ...(timesChanged ? { startTime: d.startTime, endTime: d.endTime, timeZone: TIME_ZONE } : {}),
        ...(emails(d.attendees) !== emails(original.attendees.map((a) => a.email)) ? { attendees: d.attendees } : {}),
        // Links are replaced whole: the meeting's contacts and company stay as they were.
        ...(d.dealId !== (original.links.dealId ?? '') ? { links: { ...original.links, dealId: d.dealId || null } } : {}),
        ...(etag ? { expectedEtag: etag } : {}),
        ...(scope ? { scope } : {}),
      });
    },
    onSuccess: (e) => {
      afterWrite(e);
      setAskScope(null);
      // After "this and following" the occurrence is the new series' first: another id.
      setPanel({ kind: 'event', id: e.id, justCreated: false });
    },
    onError: (err) => {
      // The form shows what went wrong, next to the fields it names.
      setAskScope(null);
      failed(err);
    },
  });

  const cancel = useMutation({
    mutationFn: ({ id, scope }: { id: string; scope?: EditScope }) => client.calendar.cancelEvent.mutate({ ...target, id, ...(scope ? { scope } : {}) }),
    onSuccess: (e) => {
      afterWrite(e);
      setPanel({ kind: 'none' });
    },
    onError: failed,
  });

  const open = (next: Panel) => {
    setProblem(null);
    setPanel(next);
  };

  const selected = panel.kind === 'event' || panel.kind === 'edit' ? findEvent(panel.id) : undefined;
  // An occurrence's panel says how its meeting repeats: the series' rule comes with getEvent.
  const detail = useQuery({
    queryKey: detailKey(selected?.id ?? ''),
    enabled: selected?.recurringEventId != null,
    queryFn: () => client.calendar.getEvent.query({ ...target, id: selected?.id ?? '' }),
  });

  return (
    <>
      <div className="toolbar">
        <nav className="week-nav" aria-label="Week navigation">
          <button type="button" onClick={() => goTo(addDays(weekStart, -7))} aria-label="Previous week">
            ‹
          </button>
          <button type="button" onClick={() => goTo(startOfWeek(new Date()))}>
            Today
          </button>
          <button type="button" onClick={() => goTo(addDays(weekStart, 7))} aria-label="Next week">
            ›
          </button>
          <span className="week-label" aria-live="polite">
            {formatWeek(weekStart)}
          </span>
        </nav>
        <LiveBadge status={live} />
        <button type="button" className="primary" onClick={() => open({ kind: 'new', start: nextHalfHour() })}>
          Schedule meeting
        </button>
      </div>
      {shownProblem && !ownGone && (
        <p className="error banner" role="alert">
          {shownProblem}
        </p>
      )}
      <main className="content">
        <WeekView
          weekStart={weekStart}
          events={events}
          busy={week.isFetching}
          selectedId={selected?.id ?? null}
          onSelect={(e) => {
            remember(e);
            open({ kind: 'event', id: e.id, justCreated: false });
          }}
          onPickSlot={(start) => open({ kind: 'new', start })}
        />
        {panel.kind === 'new' && (
          <MeetingForm
            key={`new-${panel.start.getTime()}`}
            initialStart={panel.start}
            busy={create.isPending}
            problem={problem}
            suggest={{
              queryKey: eventsKey(calendarId),
              find: (query, signal) => client.calendar.findSlots.query({ ...target, ...query }, { signal }),
              owner,
            }}
            onSubmit={(d) => create.mutate(d)}
            onClose={() => open({ kind: 'none' })}
          />
        )}
        {panel.kind === 'event' && selected && (
          <EventPanel
            key={selected.id}
            event={selected}
            recurrence={detail.data ? detail.data.recurrence : detail.isError ? null : undefined}
            justCreated={panel.justCreated}
            busy={cancel.isPending}
            problem={problem}
            onEdit={() => open({ kind: 'edit', id: selected.id, etag: selected.etag })}
            onCancel={(scope) => cancel.mutate({ id: selected.id, scope })}
            onClose={() => open({ kind: 'none' })}
          />
        )}
        {panel.kind === 'edit' && selected && (
          <div className="side">
            {selected.etag !== panel.etag && (
              // A live update brought a newer version while the rep was editing: saving would fail.
              <p className="notice" role="status">
                This meeting was just changed in Google.{' '}
                <button type="button" className="link" onClick={() => open({ kind: 'edit', id: selected.id, etag: selected.etag })}>
                  Reload it
                </button>
              </p>
            )}
            <MeetingForm
              key={`edit-${selected.id}-${panel.etag ?? ''}`}
              event={selected}
              initialStart={selected.startTime}
              busy={update.isPending}
              problem={problem}
              onSubmit={(d) => {
                setProblem(null);
                if (selected.recurringEventId) setAskScope(d);
                else update.mutate({ original: selected, etag: panel.etag, d });
              }}
              onClose={() => open({ kind: 'event', id: selected.id, justCreated: false })}
            />
            {askScope && (
              <ScopeDialog
                title="Change a repeating meeting"
                occurrence={`${selected.summary || '(no title)'}, ${formatDay(selected.startTime)} ${formatTime(selected.startTime)}`}
                confirmLabel="Save"
                busyLabel="Saving…"
                dismissLabel="Back to editing"
                busy={update.isPending}
                onConfirm={(scope) => update.mutate({ original: selected, etag: panel.etag, d: askScope, scope })}
                onClose={() => setAskScope(null)}
              />
            )}
          </div>
        )}
      </main>
    </>
  );
}

function LiveBadge({ status }: { status: LiveStatus }) {
  const text = { live: 'Live', connecting: 'Connecting…', offline: 'Offline: reconnecting' }[status];
  return (
    <span className={`live live-${status}`} title="Changes made in Google appear here without reloading" data-live={status}>
      {text}
    </span>
  );
}
