import type { calendar_v3 } from '@googleapis/calendar';

/** Google's event resource, as the client library types it (what the gateway sends and returns). */
export type GoogleEvent = calendar_v3.Schema$Event;
