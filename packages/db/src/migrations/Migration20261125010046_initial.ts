import { Migration } from '@mikro-orm/migrations';

export class Migration20261125010046_initial extends Migration {

  override name = 'Migration20261125010046_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "calendar_events" ("id" uuid not null, "calendar_id" text not null, "google_event_id" text not null, "summary" text not null, "description" text null, "location" text null, "start_time" timestamptz not null, "end_time" timestamptz not null, "time_zone" text null, "all_day" boolean not null default false, "meet_link" text null, "html_link" text null, "status" text not null, "organizer_email" text null, "attendees" jsonb not null default '[]', "etag" text null, "google_updated_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "calendar_events_list_idx" on "calendar_events" ("calendar_id", "start_time", "id") where status <> 'cancelled';`);
    this.addSql(`alter table "calendar_events" add constraint "calendar_events_calendar_id_google_event_id_unique" unique ("calendar_id", "google_event_id");`);

    this.addSql(`create table "calendar_sync_states" ("id" uuid not null, "calendar_id" text not null, "channel_id" text null, "resource_id" text null, "channel_token_hash" text null, "sync_token" text null, "expiration" timestamptz null, "active" boolean not null default false, "last_message_number" bigint null, "last_notification_at" timestamptz null, "last_sync_at" timestamptz null, "last_full_sync_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "calendar_sync_states" add constraint "calendar_sync_states_calendar_id_unique" unique ("calendar_id");`);
    this.addSql(`alter table "calendar_sync_states" add constraint "calendar_sync_states_channel_id_unique" unique ("channel_id");`);

    this.addSql(`alter table "calendar_events" add constraint "calendar_events_status_check" check ("status" in ('confirmed', 'tentative', 'cancelled'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "calendar_events" cascade;`);
    this.addSql(`drop table if exists "calendar_sync_states" cascade;`);
  }

}
