import type { EventDTO } from '@calsync/client';
import { addDays, DAY_MS, formatDay, formatTime, sameDay } from './dates.ts';
import { RepeatMark } from './RepeatMark.tsx';

/** The hours drawn; events outside them are clipped to the edge rather than hidden. */
const FIRST_HOUR = 7;
const LAST_HOUR = 21;
const HOUR_PX = 48;

interface Placed {
  event: EventDTO;
  top: number;
  height: number;
  lane: number;
  lanes: number;
}

/**
 * Lays one day's events out side by side where they overlap: each event takes the first free
 * lane, and every event of an overlapping group is as narrow as the group needs.
 */
function layoutDay(events: EventDTO[], day: Date): Placed[] {
  const dayStart = new Date(day.getFullYear(), day.getMonth(), day.getDate(), FIRST_HOUR).getTime();
  const dayEnd = new Date(day.getFullYear(), day.getMonth(), day.getDate(), LAST_HOUR).getTime();
  const sorted = [...events].sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || b.endTime.getTime() - a.endTime.getTime());
  const placed: Placed[] = [];
  let group: Placed[] = [];
  let groupEnd = -Infinity;
  let laneEnds: number[] = [];
  const closeGroup = () => {
    for (const p of group) p.lanes = laneEnds.length;
    group = [];
    laneEnds = [];
  };
  for (const event of sorted) {
    const start = event.startTime.getTime();
    const end = event.endTime.getTime();
    if (start >= groupEnd) closeGroup();
    let lane = laneEnds.findIndex((e) => e <= start);
    if (lane === -1) lane = laneEnds.push(end) - 1;
    else laneEnds[lane] = end;
    groupEnd = Math.max(groupEnd, end);
    const top = ((Math.min(Math.max(start, dayStart), dayEnd) - dayStart) / 3_600_000) * HOUR_PX;
    const bottom = ((Math.min(Math.max(end, dayStart), dayEnd) - dayStart) / 3_600_000) * HOUR_PX;
    const p: Placed = { event, top, height: Math.max(bottom - top, 22), lane, lanes: 1 };
    group.push(p);
    placed.push(p);
  }
  closeGroup();
  return placed;
}

export function WeekView(props: {
  weekStart: Date;
  events: EventDTO[];
  /** The events shown may be out of date: the week is being (re)read. */
  busy: boolean;
  selectedId: string | null;
  onSelect: (event: EventDTO) => void;
  onPickSlot: (start: Date) => void;
}) {
  const days = Array.from({ length: 7 }, (_, i) => addDays(props.weekStart, i));
  const hours = Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) => FIRST_HOUR + i);
  const today = new Date();
  return (
    <div className="week" role="grid" aria-label="Week" aria-busy={props.busy}>
      <div className="week-head" role="row">
        <div className="gutter" />
        {days.map((d) => (
          <div key={d.getTime()} role="columnheader" className={sameDay(d, today) ? 'day-name today' : 'day-name'}>
            {formatDay(d)}
          </div>
        ))}
      </div>
      <div className="week-body" style={{ height: hours.length * HOUR_PX }}>
        <div className="gutter">
          {hours.map((h) => (
            <div key={h} className="hour-label" style={{ height: HOUR_PX }}>
              {String(h).padStart(2, '0')}:00
            </div>
          ))}
        </div>
        {days.map((d) => {
          const dayEvents = props.events.filter((e) => e.startTime.getTime() < d.getTime() + DAY_MS && e.endTime.getTime() > d.getTime());
          return (
            <div key={d.getTime()} className="day" data-day={d.getDay()} aria-label={formatDay(d)}>
              {hours.map((h) => (
                <button
                  key={h}
                  type="button"
                  className="slot"
                  style={{ height: HOUR_PX }}
                  aria-label={`Schedule at ${String(h).padStart(2, '0')}:00 ${formatDay(d)}`}
                  onClick={() => props.onPickSlot(new Date(d.getFullYear(), d.getMonth(), d.getDate(), h))}
                />
              ))}
              {layoutDay(dayEvents, d).map(({ event, top, height, lane, lanes }) => (
                <button
                  key={event.id}
                  type="button"
                  // Short meetings get one line (title, then time) so the title is never cut off.
                  className={['event', height < 40 ? 'compact' : '', event.id === props.selectedId ? 'selected' : ''].filter(Boolean).join(' ')}
                  data-event-id={event.id}
                  data-series-id={event.recurringEventId ?? undefined}
                  style={{ top, height, left: `${(lane / lanes) * 100}%`, width: `${100 / lanes}%` }}
                  onClick={() => props.onSelect(event)}
                  title={`${event.summary} · ${formatTime(event.startTime)}–${formatTime(event.endTime)}${event.recurringEventId ? ' · repeats' : ''}`}
                >
                  <span className="event-title">
                    {event.recurringEventId && (
                      <>
                        <RepeatMark />{' '}
                      </>
                    )}
                    {event.summary || '(no title)'}
                  </span>
                  <span className="event-time">
                    {formatTime(event.startTime)}–{formatTime(event.endTime)}
                    {event.meetLink && height >= 60 ? ' · Meet' : ''}
                  </span>
                </button>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
