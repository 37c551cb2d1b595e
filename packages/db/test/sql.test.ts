import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeBound, queryPrepared } from '../src/sql.ts';
import { withTestOrm, type TestOrm } from '../src/testing.ts';

let db: TestOrm;
beforeAll(async () => {
  db = await withTestOrm({ entities: [] });
  await db.orm.em.fork().execute('create table bound_test (id int primary key, doc jsonb not null)');
});
afterAll(async () => {
  await db?.close();
});

describe('executeBound', () => {
  it('binds values as parameters (quotes and placeholders in data are just data)', async () => {
    const doc = JSON.stringify({ text: "it's a '?' and $1 -- not sql" });
    const rows = await executeBound<{ id: number; doc: { text: string } }>(db.orm.em.fork(), 'insert into bound_test (id, doc) values (?, ?::jsonb) returning id, doc', [1, doc]);
    expect(rows).toEqual([{ id: 1, doc: { text: "it's a '?' and $1 -- not sql" } }]);
  });

  it('runs inside the transaction of the EntityManager it is given', async () => {
    await expect(
      db.orm.em.fork().transactional(async (tx) => {
        await executeBound(tx, 'insert into bound_test (id, doc) values (?, ?::jsonb)', [2, '{}']);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await executeBound(db.orm.em.fork(), 'select id from bound_test where id = ?', [2])).toEqual([]);
  });

  it('refuses a parameter count that does not match the placeholders', async () => {
    await expect(executeBound(db.orm.em.fork(), 'select ?', [])).rejects.toThrow(/1 placeholders but 0 parameters/);
  });
});

describe('queryPrepared', () => {
  it('runs a read as a named prepared statement, parsed once per connection', async () => {
    const em = db.orm.em.fork();
    await executeBound(em, 'insert into bound_test (id, doc) values (?, ?::jsonb), (?, ?::jsonb)', [10, '{"n":10}', 11, '{"n":11}']);
    const sql = 'select id, doc from bound_test where id >= ? and id <= ? order by id';
    expect(await queryPrepared(em, sql, [10, 11])).toEqual([
      { id: 10, doc: { n: 10 } },
      { id: 11, doc: { n: 11 } },
    ]);
    expect(await queryPrepared(em, sql, [11, 11])).toEqual([{ id: 11, doc: { n: 11 } }]);
    // PostgreSQL's own record of the session's prepared statements: ours is there under its name.
    const prepared = await queryPrepared<{ name: string; statement: string }>(em, `select name, statement from pg_prepared_statements where statement like ?`, ['%from bound_test where id >=%']);
    expect(prepared).toEqual([expect.objectContaining({ name: expect.stringMatching(/^calsync_[0-9a-f]{24}$/) })]);
  });

  it('refuses a parameter count that does not match the placeholders, also for a statement it knows', async () => {
    const em = db.orm.em.fork();
    await queryPrepared(em, 'select id from bound_test where id = ?', [10]);
    await expect(queryPrepared(em, 'select id from bound_test where id = ?', [])).rejects.toThrow(/1 placeholders but 0 parameters/);
    await expect(queryPrepared(em, 'select id from bound_test where id = ? or id = ?', [1])).rejects.toThrow(/2 placeholders but 1 parameters/);
  });

  it('inside a transaction, runs in it', async () => {
    await expect(
      db.orm.em.fork().transactional(async (tx) => {
        await executeBound(tx, 'insert into bound_test (id, doc) values (?, ?::jsonb)', [20, '{}']);
        expect(await queryPrepared(tx, 'select id from bound_test where id = ?', [20])).toEqual([{ id: 20 }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
  });
});
