import { Migration } from '@mikro-orm/migrations';

/**
 * Statistics on events' lengths. The length tiers' partial indexes (and their filters) are
 * conditions on `end_time - start_time`, which PostgreSQL has no statistics for: it assumed a third
 * of a calendar's rows are longer than 31 days, costed the unbounded third tier of a free/busy query
 * as thousands of rows, and chose parallel workers (tens of ms to start) for a 0.5 ms query.
 */
export class Migration20261206060000_event_duration_statistics extends Migration {

  override name = 'Migration20261206060000_event_duration_statistics';

  override up(): void | Promise<void> {
    this.addSql(`create statistics "calendar_events_duration_stats" on (end_time - start_time) from "calendar_events";`);
    this.addSql(`analyze "calendar_events";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop statistics "calendar_events_duration_stats";`);
  }

}
