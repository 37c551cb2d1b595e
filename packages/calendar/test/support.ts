import type { MikroORM } from '@calsync/db';

/**
 * Makes the given calendars connected calendars (rows in connected_calendars), so that events,
 * sync states and reconciliations, which belong to one, can be stored for them.
 */
export async function connectCalendars(orm: MikroORM, ...calendarIds: string[]): Promise<void> {
  await orm.em.fork().execute(
    `insert into connected_calendars (calendar_id, subject, state, state_since, created_at, updated_at)
     select id, id, 'active', now(), now(), now() from jsonb_array_elements_text(?::jsonb) as id on conflict do nothing`,
    [JSON.stringify(calendarIds)],
  );
}
