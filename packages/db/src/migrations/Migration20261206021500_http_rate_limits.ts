import { Migration } from '@mikro-orm/migrations';

export class Migration20261206021500_http_rate_limits extends Migration {

  override name = 'Migration20261206021500_http_rate_limits';

  override up(): void | Promise<void> {
    // Unlogged: every limited request writes a row, and counters need no write-ahead log (a crash
    // only resets them); with WAL each request waited for a log flush. "if not exists": servers
    // from before this migration created the table at start-up, and those rows are kept.
    this.addSql(`create unlogged table if not exists "http_rate_limits" ("key" varchar(255) primary key, "points" integer not null default 0, "expire" bigint);`);
    // Some of those servers created it logged. Switching keeps the rows, and PostgreSQL does
    // nothing (no rewrite) when the table is unlogged already.
    this.addSql(`alter table "http_rate_limits" set unlogged;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "http_rate_limits";`);
  }

}
