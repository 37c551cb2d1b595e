import { Migration } from '@mikro-orm/migrations';

export class Migration20261125015815_long_events_index extends Migration {

  override name = 'Migration20261125015815_long_events_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "calendar_events_long_idx" on "calendar_events" ("calendar_id", "start_time", "id") where status <> 'cancelled' and end_time - start_time > interval '1 day';`);
    this.addSql(`create index "calendar_events_very_long_idx" on "calendar_events" ("calendar_id", "start_time", "id") where status <> 'cancelled' and end_time - start_time > interval '31 days';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "calendar_events_very_long_idx";`);
    this.addSql(`drop index "calendar_events_long_idx";`);
  }

}
