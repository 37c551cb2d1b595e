import { Migration } from '@mikro-orm/migrations';

export class Migration20261206041012_recurring_events extends Migration {

  override name = 'Migration20261206041012_recurring_events';

  override up(): void | Promise<void> {
    this.addSql(`create table "calendar_series" ("id" uuid not null, "calendar_id" text not null, "google_series_id" text not null, "recurrence" jsonb not null, "time_zone" text null, "all_day" boolean not null default false, "start_time" timestamptz not null, "end_time" timestamptz not null, "summary" text not null, "etag" text null, "google_updated_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "calendar_series" add constraint "calendar_series_calendar_id_google_series_id_unique" unique ("calendar_id", "google_series_id");`);

    this.addSql(`alter table "calendar_sync_states" add "series_sync_token" text null;`);

    this.addSql(`alter table "calendar_events" add "recurring_event_id" text null, add "original_start_time" timestamptz null;`);
    this.addSql(`create index "calendar_events_series_idx" on "calendar_events" ("calendar_id", "recurring_event_id", "original_start_time") where recurring_event_id is not null;`);

    this.addSql(`alter table "calendar_series" add constraint "calendar_series_calendar_id_foreign" foreign key ("calendar_id") references "connected_calendars" ("calendar_id") on delete cascade;`);

    // Upgrade: a recurring meeting was stored as one row (its series, at its first occurrence).
    // Dropping the sync cursors makes the next sync of every calendar a full listing of
    // occurrences: they are stored one by one, and the old series rows, absent from that
    // listing, are cancelled at its end. Until then the old rows stay: nothing disappears meanwhile.
    this.addSql(`update "calendar_sync_states" set "sync_token" = null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "calendar_series" cascade;`);

    this.addSql(`drop index "calendar_events_series_idx";`);
    this.addSql(`alter table "calendar_events" drop column "recurring_event_id", drop column "original_start_time";`);

    this.addSql(`alter table "calendar_sync_states" drop column "series_sync_token";`);
  }

}
