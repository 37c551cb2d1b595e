import { executeBound, type EntityManager } from '@calsync/db';
import { GoogleApiError, googleEventIdFor, type CalendarRef, type GoogleCalendarGateway, type GoogleEvent } from '@calsync/google';
import type { ChangePublisher } from '../changes.ts';
import { ValidationError } from '../errors.ts';
import { fromGoogleEvent, isCancelledStub, toGoogleEventBody } from '../event/google.ts';
import type { EventWrite } from '../event/inputs.ts';
import { recurrenceContinued, recurrenceUntil } from '../event/recurrence.ts';
import type { EventDTO, GoogleEventFields } from '../event/shape.ts';
import { upsertGoogleEvents } from '../event/store.ts';
import { deleteSeries, seriesFromGoogle, upsertSeries } from './store.ts';

/**
 * Edits of a recurring meeting beyond one occurrence, done as Google Calendar does them through
 * the API: "all" patches the series itself; "this and following" ends the series just before the
 * occurrence (an UNTIL) and starts a new series there with the change. After each, the series'
 * occurrences are read back (events.instances) so the answer and the next page show them at once,
 * and the ones that no longer exist are cancelled here.
 */
export interface SeriesEditorDeps {
  em: EntityManager;
  google: GoogleCalendarGateway;
  changes?: ChangePublisher | undefined;
}

/** The occurrence an edit starts from (a row of calendar_events). */
type Occurrence = Pick<EventDTO, 'googleEventId' | 'startTime' | 'endTime' | 'timeZone' | 'allDay' | 'etag' | 'recurringEventId' | 'originalStartTime'>;

/** The Google calendar and user of an edit, and the user (idempotency of a split). */
type Scope = CalendarRef & { userId: string };

/** Occurrences are read back this far ahead at most (Google's own horizon is about two years). */
const MAX_INSTANCE_PAGES = 8;

export class SeriesEditor {
  constructor(private readonly deps: SeriesEditorDeps) {}

  /** The series' occurrences as Google has them now, stored; the ones it no longer has, cancelled. */
  async refresh(scope: Scope, seriesId: string): Promise<{ changed: number; deleted: number }> {
    const items: GoogleEvent[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_INSTANCE_PAGES; page++) {
      const res = await this.deps.google.listInstances(scope, seriesId, { pageToken });
      items.push(...res.items);
      if (!res.nextPageToken) break;
      pageToken = res.nextPageToken;
    }

    const live = items.map(fromGoogleEvent).filter((e): e is GoogleEventFields => !isCancelledStub(e) && e.status !== 'cancelled');
    const em = this.deps.em.fork();
    return em.transactional(async (tx) => {
      const changed = await upsertGoogleEvents(tx, scope.calendarId, live);
      const gone = await executeBound<{ google_event_id: string }>(
        tx,
        `update calendar_events set status = 'cancelled', updated_at = now()
         where calendar_id = ? and recurring_event_id = ? and status <> 'cancelled'
           and google_event_id not in (select jsonb_array_elements_text(?::jsonb))
         returning google_event_id`,
        [scope.calendarId, seriesId, JSON.stringify(live.map((e) => e.googleEventId))],
      );
      const counts = { changed: changed.length, deleted: gone.length };
      if (counts.changed + counts.deleted > 0) this.deps.changes?.publish(scope.calendarId, { ...counts, source: 'write' });
      return counts;
    });
  }

  /**
   * Changes every occurrence: the series itself is patched. A new time for this occurrence moves
   * the series by as much (and gives it the new length).
   */
  async editAll(scope: Scope, occurrence: Occurrence, write: EditWrite): Promise<string> {
    const seriesId = seriesOf(occurrence);
    const master = await this.deps.google.getEvent(scope, seriesId);
    const patch = this.bodyFor(write, occurrence, master);
    if (write.recurrence) patch.recurrence = write.recurrence;
    const updated = await this.deps.google.patchEvent(scope, seriesId, patch);
    await this.storeSeries(scope, updated);
    await this.refresh(scope, seriesId);
    return seriesId;
  }

  /**
   * Changes this occurrence and the ones after it: the series ends just before it, and a new
   * series starts at it with the change (and, for a COUNT rule, the occurrences left). The new
   * series' id derives from the occurrence, so a retried split makes one new series. Returns the
   * new series' id.
   */
  async editFollowing(scope: Scope, occurrence: Occurrence, write: EditWrite): Promise<string> {
    const seriesId = seriesOf(occurrence);
    const cut = occurrence.originalStartTime ?? occurrence.startTime;
    const master = await this.deps.google.getEvent(scope, seriesId);
    const masterStart = timeOf(master.start);
    // The first occurrence: "this and following" is all of them.
    if (masterStart !== undefined && cut.getTime() <= masterStart.getTime()) return this.editAll(scope, occurrence, write);
    const recurrence = master.recurrence ?? [];
    const before = await this.countBefore(scope, seriesId, cut);

    const newId = googleEventIdFor(scope, `split:${seriesId}:${occurrence.googleEventId}:${occurrence.etag ?? ''}`);
    const body: GoogleEvent = {
      summary: master.summary ?? '',
      ...(master.description ? { description: master.description } : {}),
      ...(master.location ? { location: master.location } : {}),
      ...(master.attendees ? { attendees: master.attendees.map((a) => ({ email: a.email ?? '' })).filter((a) => a.email !== '') } : {}),
      ...this.bodyFor(write, occurrence, master, { startAt: occurrence.startTime, endAt: occurrence.endTime }),
      recurrence: write.recurrence ?? recurrenceContinued(recurrence, before),
    };
    // The old series first: a retry after a failure in between finds it cut already, and the new
    // series' id makes its insert idempotent.
    const cutMaster = await this.deps.google.patchEvent(scope, seriesId, { recurrence: recurrenceUntil(recurrence, cut, occurrence.allDay) });
    let created: GoogleEvent;
    try {
      created = await this.deps.google.insertEvent(scope, body, { id: newId, createMeetLink: Boolean(master.hangoutLink || master.conferenceData) });
    } catch (err) {
      if (!(err instanceof GoogleApiError && err.kind === 'conflict')) throw err;
      created = await this.deps.google.getEvent(scope, newId);
    }
    await this.storeSeries(scope, cutMaster);
    await this.storeSeries(scope, created);
    await this.refresh(scope, seriesId);
    await this.refresh(scope, newId);
    return newId;
  }

  /** Cancels every occurrence: the series is deleted at Google and here. */
  async cancelAll(scope: Scope, occurrence: Occurrence): Promise<void> {
    const seriesId = seriesOf(occurrence);
    try {
      await this.deps.google.deleteEvent(scope, seriesId);
    } catch (err) {
      // Already deleted in Google: the goal is reached, record it.
      if (!(err instanceof GoogleApiError && (err.kind === 'gone' || err.kind === 'not_found'))) throw err;
    }
    const em = this.deps.em.fork();
    const gone = await executeBound<{ google_event_id: string }>(
      em,
      `update calendar_events set status = 'cancelled', updated_at = now()
       where calendar_id = ? and recurring_event_id = ? and status <> 'cancelled' returning google_event_id`,
      [scope.calendarId, seriesId],
    );
    await deleteSeries(em, scope.calendarId, [seriesId]);
    if (gone.length > 0) this.deps.changes?.publish(scope.calendarId, { changed: 0, deleted: gone.length, source: 'write' });
  }

  /** Cancels this occurrence and the ones after it: the series ends just before it. */
  async cancelFollowing(scope: Scope, occurrence: Occurrence): Promise<void> {
    const seriesId = seriesOf(occurrence);
    const cut = occurrence.originalStartTime ?? occurrence.startTime;
    const master = await this.deps.google.getEvent(scope, seriesId);
    const masterStart = timeOf(master.start);
    if (masterStart !== undefined && cut.getTime() <= masterStart.getTime()) return this.cancelAll(scope, occurrence);
    const cutMaster = await this.deps.google.patchEvent(scope, seriesId, { recurrence: recurrenceUntil(master.recurrence ?? [], cut, occurrence.allDay) });
    await this.storeSeries(scope, cutMaster);
    await this.refresh(scope, seriesId);
  }

  /**
   * The request body of an edit for a series: the written fields, and for a new time the series'
   * start and end moved by as much as this occurrence moves (`startAt`/`endAt`: the new series'
   * own start and end instead).
   */
  private bodyFor(write: EditWrite, occurrence: Occurrence, master: GoogleEvent, own?: { startAt: Date; endAt: Date }): GoogleEvent {
    const { startTime, endTime, timeZone, ...rest } = write;
    const body = toGoogleEventBody(rest);
    const timesChange = startTime !== undefined || endTime !== undefined || timeZone !== undefined;
    if (!timesChange && !own) return body;
    const newStart = startTime ?? occurrence.startTime;
    const newEnd = endTime ?? new Date(newStart.getTime() + (occurrence.endTime.getTime() - occurrence.startTime.getTime()));
    const zone = timeZone !== undefined ? timeZone : (master.start?.timeZone ?? occurrence.timeZone);
    let start = own ? own.startAt : newStart;
    let end = own ? own.endAt : newEnd;
    if (!own || timesChange) {
      // The series moves by as much as this occurrence does; the first occurrence is the series' start.
      const base = own ? occurrence.startTime : (timeOf(master.start) ?? occurrence.startTime);
      const shift = newStart.getTime() - occurrence.startTime.getTime();
      start = new Date(base.getTime() + shift);
      end = new Date(start.getTime() + (newEnd.getTime() - newStart.getTime()));
    }
    if (occurrence.allDay && !timesChange) {
      body.start = { date: start.toISOString().slice(0, 10) };
      body.end = { date: end.toISOString().slice(0, 10) };
    } else {
      Object.assign(body, toGoogleEventBody({ startTime: start, endTime: end, timeZone: zone }));
    }
    return body;
  }

  /** Occurrences of the series before `cut`, as Google counts them (what a COUNT rule has used). */
  private async countBefore(scope: Scope, seriesId: string, cut: Date): Promise<number> {
    let count = 0;
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_INSTANCE_PAGES; page++) {
      const res = await this.deps.google.listInstances(scope, seriesId, { timeMax: cut, pageToken, showDeleted: true });
      count += res.items.filter((e) => (timeOf(e.originalStartTime) ?? cut).getTime() < cut.getTime()).length;
      if (!res.nextPageToken) break;
      pageToken = res.nextPageToken;
    }
    return count;
  }

  private async storeSeries(scope: Scope, event: GoogleEvent): Promise<void> {
    const series = seriesFromGoogle(event);
    if (series) await upsertSeries(this.deps.em.fork(), scope.calendarId, [series]);
  }
}

/** What an edit of several occurrences writes: the event's fields, and maybe a new rule. */
export type EditWrite = EventWrite & { recurrence?: string[] | undefined };

function seriesOf(occurrence: Occurrence): string {
  if (!occurrence.recurringEventId) throw new ValidationError('scope', 'the event is not an occurrence of a recurring meeting: only scope instance applies');
  return occurrence.recurringEventId;
}

function timeOf(t: GoogleEvent['start'] | undefined): Date | undefined {
  if (t?.dateTime) return new Date(t.dateTime);
  if (t?.date) return new Date(`${t.date}T00:00:00Z`);
  return undefined;
}
