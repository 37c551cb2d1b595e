import { Migration } from '@mikro-orm/migrations';

export class Migration20261125012052_reconciliations extends Migration {

  override name = 'Migration20261125012052_reconciliations';

  override up(): void | Promise<void> {
    this.addSql(`create table "sync_reconciliations" ("id" uuid not null, "calendar_id" text not null, "ran_at" timestamptz not null, "changed" int not null, "deleted" int not null, "full_sync" boolean not null, "channel_silent" boolean not null, "channel_renewed" boolean not null, primary key ("id"));`);
    this.addSql(`create index "sync_reconciliations_calendar_ran_at_idx" on "sync_reconciliations" ("calendar_id", "ran_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "sync_reconciliations" cascade;`);
  }

}
