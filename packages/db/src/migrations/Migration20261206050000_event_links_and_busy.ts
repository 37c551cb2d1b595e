import { Migration } from '@mikro-orm/migrations';

export class Migration20261206050000_event_links_and_busy extends Migration {

  override name = 'Migration20261206050000_event_links_and_busy';

  override up(): void | Promise<void> {
    this.addSql(`alter table "calendar_events" add "transparency" text not null default 'opaque', add "self_response_status" text null, add "links" jsonb not null default '{}';`);
    this.addSql(`alter table "calendar_events" add constraint "calendar_events_transparency_check" check ("transparency" in ('opaque', 'transparent'));`);
    this.addSql(`alter table "calendar_events" add constraint "calendar_events_self_response_status_check" check ("self_response_status" in ('needsAction', 'accepted', 'declined', 'tentative'));`);
    // A deal's meetings across calendars, in (start, id) order: the deal filter's keyset pages.
    this.addSql(`create index "calendar_events_deal_idx" on "calendar_events" ((links->>'dealId'), "start_time", "id") where links->>'dealId' is not null and status <> 'cancelled';`);
    // A contact's meetings: containment (links->'contactIds' @> '["c1"]').
    this.addSql(`create index "calendar_events_contacts_idx" on "calendar_events" using gin ((links->'contactIds') jsonb_path_ops) where status <> 'cancelled';`);

    // Upgrade: rows stored before hold no transparency, answer or links read from Google. The next
    // sync of every calendar is a full listing that fills them in (the stored etags are dropped, or
    // the upsert would skip every unchanged event); until then a row counts as busy.
    this.addSql(`update "calendar_events" set "etag" = null where "etag" is not null;`);
    this.addSql(`update "calendar_sync_states" set "sync_token" = null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "calendar_events_contacts_idx";`);
    this.addSql(`drop index "calendar_events_deal_idx";`);
    this.addSql(`alter table "calendar_events" drop constraint "calendar_events_self_response_status_check", drop constraint "calendar_events_transparency_check";`);
    this.addSql(`alter table "calendar_events" drop column "links", drop column "self_response_status", drop column "transparency";`);
  }

}
