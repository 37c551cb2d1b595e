import type { CalendarClient } from '@calsync/client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

export type LiveStatus = 'connecting' | 'live' | 'offline';

/**
 * Keeps the page current without polling: `calendar.onChange` (SSE) says when the calendar
 * changed (a person edited it in Google, or another page wrote), and the shown week is refetched.
 * Each (re)connection refetches too, since changes made while disconnected were not heard.
 */
export function useLiveUpdates(client: CalendarClient, enabled: boolean): LiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    if (!enabled) return;
    const refresh = () => void queryClient.invalidateQueries({ queryKey: ['events'] });
    const sub = client.calendar.onChange.subscribe(undefined, {
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
  }, [client, enabled, queryClient]);
  return status;
}
