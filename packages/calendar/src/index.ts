export {
  CalendarDirectory,
  type CalendarAccess,
  type CalendarDirectoryDeps,
  type Caller,
  type Connection,
} from './calendars/directory.ts';
export { CALENDAR_STATES, ConnectedCalendar, type CalendarState } from './calendars/entity.ts';
export {
  calendarsDueForReconcile,
  calendarsDueForRenewal,
  markFailed,
  markHealthy,
  stampReconciled,
  summarizeCalendars,
  type CalendarStatus,
  type CalendarSummary,
  type ConnectedCalendarRow,
  type DueCalendar,
} from './calendars/store.ts';
export { CALENDAR_CHANGES_CHANNEL, CalendarChanges, type CalendarChange, type ChangePublisher } from './changes.ts';
export { decodeCursor, encodeCursor, type ListPosition } from './event/cursor.ts';
export { entities } from './entities.ts';
export { CalendarEvent } from './event/entity.ts';
export { entriesOf, snakeCase, type ColumnKind, type Field, type JsonStyle, type SnakeCase } from './event/field.ts';
export { fromGoogleEvent, isCancelledStub, toGoogleEventBody, type CancelledEventStub } from './event/google.ts';
export { storableText } from './event/google-values.ts';
export {
  cancelEventInput,
  createEventInput,
  EDIT_SCOPES,
  eventIdInput,
  updateEventInput,
  type CancelEventInput,
  type CreateEventInput,
  type EditScope,
  type EventWrite,
  type UpdateEventInput,
} from './event/inputs.ts';
export { recurrenceInput, recurrenceLineProblem } from './event/recurrence.ts';
export { EVENT_COLUMNS, toEventDTO, type EventRow } from './event/row.ts';
export {
  EVENT_FIELDS,
  EVENT_STATUSES,
  RESPONSE_STATUSES,
  TRANSPARENCIES,
  type Attendee,
  type Transparency,
  type EventDTO,
  type EventFields,
  type EventRecord,
  type EventStatus,
  type GoogleEventFields,
  type ResponseStatus,
} from './event/shape.ts';
export { timeInput } from './event/validation.ts';
export { linkIdInput, linksInput, MAX_CONTACTS, type EventLinks } from './event/links.ts';
export { BusyError, ConflictError, ConnectError, NotConnectedError, NotFoundError, PreconditionFailedError, ValidationError, type ConnectFailure } from './errors.ts';
export { EventService, type CalendarScope, type EventDetail, EventPage, type EventServiceDeps, type ListEventsInput } from './event/service.ts';
export { cancelGoogleEvents, deleteExpiredEvents, joinUtf8, listWindow, listWindowJson, listWindowQuery, pageTextOf, upsertGoogleEvents, type JsonRow, type PageText, type TextParts, type WindowQuery } from './event/store.ts';
export { silentLogger, type Logger } from './logger.ts';
export { AvailabilityService, type FreeBusyAnswer, type SlotsAnswer, type TimeRange, type UserBusy } from './availability/service.ts';
export { findSlotsInput, freeBusyInput, type FindSlotsInput, type FreeBusyInput } from './availability/inputs.ts';
export { findFreeSlots, mergeIntervals, workingIntervals, type Interval, type WorkingHours } from './availability/slots.ts';
export { channelToken } from './sync/channel-token.ts';
export { NotificationReceiver, type NotificationOutcome, type PushNotification } from './sync/notification-receiver.ts';
export { DEFAULT_SYNC_PACING, SyncScheduler, type SyncRunner, type SyncSchedulerOptions } from './sync/sync-scheduler.ts';
export { readSyncHealth, type SyncHealth } from './sync/sync-health.ts';
export {
  SyncService,
  type FullSyncReason,
  type SyncErrorEvent,
  type SyncEvent,
  type SyncKind,
  type SyncObserver,
  type SyncResult,
  type SyncServiceDeps,
} from './sync/sync-service.ts';
export { SyncReconciliation } from './sync/reconciliation-entity.ts';
export { CalendarSyncState } from './sync/sync-state-entity.ts';
export { forgetExpiredStoppedChannels, type ChannelInfo } from './sync/sync-state-store.ts';
export { WatchService, type WatchConfig, type WatchServiceDeps } from './sync/watch-service.ts';
