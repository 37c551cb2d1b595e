import type { CalendarClient } from '@calsync/client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

export type LiveStatus = 'connecting' | 'live' | 'offline';

/**
 * Keeps the page current without polling: `calendar.onChange` (SSE) says when the calendar
 * changed (a person edited it in Google, or another page wrote), and the shown week is refetched.
 * Each (re)connection refetches too, since changes made while disconnected were not heard.
 * `calendarId` is the calendar shown (an admin viewing a rep's); undefined is the caller's own.
 * The page mounts this once per calendar shown, so a stream never outlives its calendar.
 */
export function useLiveUpdates(client: CalendarClient, calendarId: string | undefined): LiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    const refresh = () => void queryClient.invalidateQueries({ queryKey: eventsKey(calendarId) });
    const sub = client.calendar.onChange.subscribe(calendarId === undefined ? undefined : { calendarId }, {
      onStarted: () => {
        setStatus('live');
        refresh();
      },
      onData: refresh,
      onConnectionStateChange: (state) => {
        if (state.state === 'connecting') setStatus(state.error ? 'offline' : 'connecting');
        else if (state.state === 'pending') setStatus('live');
      },
      // A refused stream (bad token) ends here; the list query shows the reason.
      onError: () => setStatus('offline'),
    });
    return () => sub.unsubscribe();
  }, [client, calendarId, queryClient]);
  return status;
}

/** The cache key of a calendar's weeks: the caller's own (`mine`), or the one an admin views. */
export const eventsKey = (calendarId: string | undefined) => ['events', calendarId ?? 'mine'] as const;
