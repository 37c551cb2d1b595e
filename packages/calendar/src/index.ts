export { CALENDAR_CHANGES_CHANNEL, CalendarChanges, type CalendarChange, type ChangePublisher } from './changes.ts';
export { decodeCursor, encodeCursor, type ListPosition } from './cursor.ts';
export { toEventDTO, type EventDTO } from './dto.ts';
export { BusyError, ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from './errors.ts';
export {
  EventService,
  type CalendarScope,
  type CreateEventInput,
  EventPage,
  type EventServiceDeps,
  type ListEventsInput,
  type UpdateEventInput,
} from './event-service.ts';
export { cancelGoogleEvents, deleteExpiredEvents, listWindowQuery, upsertGoogleEvents, type WindowQuery } from './event-store.ts';
export { silentLogger, type Logger } from './logger.ts';
export { channelToken } from './sync/channel-token.ts';
export { NotificationReceiver, type NotificationOutcome, type PushNotification } from './sync/notification-receiver.ts';
export { DEFAULT_SYNC_PACING, SyncScheduler, type SyncRunner, type SyncSchedulerOptions } from './sync/sync-scheduler.ts';
export { readSyncHealth, type CalendarHealth, type SyncHealth } from './sync/sync-health.ts';
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
export { forgetExpiredStoppedChannels, listWatchedCalendars, type ChannelInfo, type WatchedCalendar } from './sync/sync-state-store.ts';
export { WatchService, type WatchConfig, type WatchServiceDeps } from './sync/watch-service.ts';
