import { Migration } from '@mikro-orm/migrations';

export class Migration20261206025541_connected_calendars extends Migration {

  override name = 'Migration20261206025541_connected_calendars';

  override up(): void | Promise<void> {
    this.addSql(`create table "connected_calendars" ("calendar_id" text not null, "subject" text null, "owner_id" text null, "state" text not null default 'active', "state_reason" text null, "state_since" timestamptz not null, "failures" int not null default 0, "retry_at" timestamptz null, "last_error" text null, "last_error_at" timestamptz null, "last_reconciled_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("calendar_id"));`);
    this.addSql(`create index "connected_calendars_owner_id_idx" on "connected_calendars" ("owner_id");`);
    this.addSql(`create index "connected_calendars_state_idx" on "connected_calendars" ("state");`);

    // Upgrade: the calendar (or calendars) served so far become connected calendars, keeping their
    // events, channel and history. Their subject is filled in by the server at start (shared mode).
    this.addSql(`insert into "connected_calendars" ("calendar_id", "state", "state_since", "created_at", "updated_at")
      select calendar_id, 'active', now(), now(), now() from (
        select calendar_id from "calendar_events" union select calendar_id from "calendar_sync_states" union select calendar_id from "sync_reconciliations"
      ) served;`);

    this.addSql(`alter table "calendar_sync_states" add constraint "calendar_sync_states_calendar_id_foreign" foreign key ("calendar_id") references "connected_calendars" ("calendar_id") on delete cascade;`);

    this.addSql(`alter table "calendar_events" add constraint "calendar_events_calendar_id_foreign" foreign key ("calendar_id") references "connected_calendars" ("calendar_id") on delete cascade;`);

    this.addSql(`alter table "sync_reconciliations" add constraint "sync_reconciliations_calendar_id_foreign" foreign key ("calendar_id") references "connected_calendars" ("calendar_id") on delete cascade;`);

    this.addSql(`alter table "connected_calendars" add constraint "connected_calendars_state_check" check ("state" in ('active', 'disconnected', 'error'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "calendar_sync_states" drop constraint "calendar_sync_states_calendar_id_foreign";`);
    this.addSql(`alter table "calendar_events" drop constraint "calendar_events_calendar_id_foreign";`);
    this.addSql(`alter table "sync_reconciliations" drop constraint "sync_reconciliations_calendar_id_foreign";`);

    this.addSql(`drop table if exists "connected_calendars" cascade;`);
  }

}
