import { defineEntity, p, type InferEntity } from '@calsync/db';

/** What a connected calendar is doing: synced, let go by its owner (or an admin), or failing. */
export const CALENDAR_STATES = ['active', 'disconnected', 'error'] as const;
export type CalendarState = (typeof CALENDAR_STATES)[number];

/**
 * A Google calendar this service serves: a rep's own (reached through domain-wide delegation as
 * `subject`), or the one calendar every user shares (shared mode). Its events, sync state and
 * reconcile history belong to it. The key is Google's calendar id, resolved (`primary` is
 * stored as the acting user's address), which is unique across Google.
 */
export const ConnectedCalendar = defineEntity({
  name: 'ConnectedCalendar',
  tableName: 'connected_calendars',
  properties: {
    calendarId: p.text().fieldName('calendar_id').primary(),
    /** The Workspace user the service account acts as; null: the service account itself. */
    subject: p.text().nullable(),
    /** The user (JWT `sub`) whose calendar it is; null until they first use it, and in shared mode. */
    ownerId: p.text().fieldName('owner_id').nullable().index('connected_calendars_owner_id_idx'),
    state: p.enum(CALENDAR_STATES).default('active'),
    /** Why it is disconnected or failing, in words for the admin list. */
    stateReason: p.text().fieldName('state_reason').nullable(),
    stateSince: p.datetime().fieldName('state_since'),
    /** Consecutive failures of background work (renewal, reconcile): decides the next retry. */
    failures: p.integer().default(0),
    /** A calendar in `error` is tried again at this time. */
    retryAt: p.datetime().fieldName('retry_at').nullable(),
    lastError: p.text().fieldName('last_error').nullable(),
    lastErrorAt: p.datetime().fieldName('last_error_at').nullable(),
    /** When reconcile last looked at it: reconcile works oldest first, spread over its interval. */
    lastReconciledAt: p.datetime().fieldName('last_reconciled_at').nullable(),
    createdAt: p.datetime().fieldName('created_at').onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .fieldName('updated_at')
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [{ name: 'connected_calendars_state_idx', properties: ['state'] }],
});
export type ConnectedCalendar = InferEntity<typeof ConnectedCalendar>;
