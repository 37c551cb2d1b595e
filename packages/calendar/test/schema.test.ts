import { useTestOrm } from '@calsync/db/testing/hooks';
import { describe, expect, it } from 'vitest';
import { entities } from '../src/entities.ts';

// The committed migrations (packages/db) against the entities derived from this package's shapes.
const orm = useTestOrm({ entities });

describe('migrations', () => {
  it('leave no difference between the entities and the database', async () => {

    // What `migration:create` would put into a new migration; empty means the committed ones are complete
    // (including the partial list index and the status CHECK, which the entities declare).
    expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
    expect(await orm.migrator.checkSchema()).toBe(false);
  });

  it('create the partial list index and the status check', async () => {
    const conn = orm.em.getConnection();

    const [index] = await conn.execute<{ indexdef: string }[]>(
      `select indexdef from pg_indexes where indexname = 'calendar_events_list_idx'`,
    );
    expect(index?.indexdef).toMatch(/\(calendar_id, start_time, id\) WHERE \(status <> 'cancelled'::text\)/);

    const [check] = await conn.execute<{ def: string }[]>(
      `select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'calendar_events_status_check'`,
    );
    expect(check?.def).toContain('confirmed');
  });
});
