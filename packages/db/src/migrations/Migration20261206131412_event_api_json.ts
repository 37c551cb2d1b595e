import { Migration } from '@mikro-orm/migrations';

/**
 * Each event's API JSON stored with it (`api_json`), written by a trigger on every insert and
 * update from the row's other columns (the SQL is the event shape's, see apiJsonTriggerBody in
 * @calsync/calendar), so a list page is PostgreSQL joining stored text instead of formatting ~23
 * values per event on every read (issue 16). Existing rows get theirs at once.
 */
export class Migration20261206131412_event_api_json extends Migration {

  override name = 'Migration20261206131412_event_api_json';

  override up(): void | Promise<void> {
    this.addSql(`alter table "calendar_events" add "api_json" text null;`);
    this.addSql(`create or replace function "calendar_events_api_json_fn"() returns trigger as $$ begin new.api_json := ('{' || '"id":' || coalesce('"' || new.id::text || '"', 'null') || ',' || '"googleEventId":' || coalesce(to_json(new.google_event_id)::text, 'null') || ',' || '"calendarId":' || coalesce(to_json(new.calendar_id)::text, 'null') || ',' || '"summary":' || coalesce(to_json(new.summary)::text, 'null') || ',' || '"description":' || coalesce(to_json(new.description)::text, 'null') || ',' || '"location":' || coalesce(to_json(new.location)::text, 'null') || ',' || '"startTime":' || coalesce('"' || to_char(new.start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"') || '"', 'null') || ',' || '"endTime":' || coalesce('"' || to_char(new.end_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"') || '"', 'null') || ',' || '"timeZone":' || coalesce(to_json(new.time_zone)::text, 'null') || ',' || '"allDay":' || case when new.all_day then 'true' when not new.all_day then 'false' else 'null' end || ',' || '"meetLink":' || coalesce(to_json(new.meet_link)::text, 'null') || ',' || '"htmlLink":' || coalesce(to_json(new.html_link)::text, 'null') || ',' || '"status":' || coalesce(to_json(new.status)::text, 'null') || ',' || '"organizerEmail":' || coalesce(to_json(new.organizer_email)::text, 'null') || ',' || '"attendees":' || coalesce(coalesce((select '[' || string_agg('{"email":' || coalesce(to_json(a->>'email')::text, 'null') || ',"displayName":' || coalesce(to_json(a->>'displayName')::text, 'null') || ',"responseStatus":' || coalesce(to_json(a->>'responseStatus')::text, 'null') || '}', ',' order by n) || ']' from jsonb_array_elements(new.attendees) with ordinality as t(a, n)), '[]'), 'null') || ',' || '"transparency":' || coalesce(to_json(new.transparency)::text, 'null') || ',' || '"selfResponseStatus":' || coalesce(to_json(new.self_response_status)::text, 'null') || ',' || '"recurringEventId":' || coalesce(to_json(new.recurring_event_id)::text, 'null') || ',' || '"originalStartTime":' || coalesce('"' || to_char(new.original_start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"') || '"', 'null') || ',' || '"links":' || coalesce('{"dealId":' || coalesce(to_json(new.links->>'dealId')::text, 'null') || ',"contactIds":' || coalesce((select '[' || string_agg(to_json(x)::text, ',' order by n) || ']' from jsonb_array_elements_text(case when jsonb_typeof(new.links->'contactIds') = 'array' then new.links->'contactIds' else '[]'::jsonb end) with ordinality as u(x, n)), '[]') || ',"companyId":' || coalesce(to_json(new.links->>'companyId')::text, 'null') || '}', 'null') || ',' || '"etag":' || coalesce(to_json(new.etag)::text, 'null') || ',' || '"createdAt":' || coalesce('"' || to_char(new.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"') || '"', 'null') || ',' || '"updatedAt":' || coalesce('"' || to_char(new.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"') || '"', 'null') || '}'); return new; end; $$ language plpgsql;`);
    this.addSql(`create trigger "api_json" BEFORE INSERT OR UPDATE on "calendar_events" for each ROW execute function "calendar_events_api_json_fn"();`);
    // The trigger writes each existing row's JSON.
    this.addSql(`update "calendar_events" set "api_json" = null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "api_json" on "calendar_events";`);
    this.addSql(`drop function if exists "calendar_events_api_json_fn"();`);
    this.addSql(`alter table "calendar_events" drop column "api_json";`);
  }

}
