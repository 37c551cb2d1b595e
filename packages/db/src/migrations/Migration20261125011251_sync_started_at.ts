import { Migration } from '@mikro-orm/migrations';

export class Migration20261125011251_sync_started_at extends Migration {

  override name = 'Migration20261125011251_sync_started_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "calendar_sync_states" drop column "channel_token_hash";`);
    this.addSql(`alter table "calendar_sync_states" add "sync_started_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "calendar_sync_states" drop column "sync_started_at";`);
    this.addSql(`alter table "calendar_sync_states" add "channel_token_hash" text null;`);
  }

}
