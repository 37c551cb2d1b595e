import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';
import type pg from 'pg';

/**
 * Runs SQL with `?` placeholders as a parameterised statement, inside the EntityManager's
 * transaction when it has one. Unlike `em.execute`, which writes the values into the SQL text,
 * a 2,500-event sync page (a few MB of JSON) travels as one bound parameter: no escaping pass
 * over it and no second multi-megabyte string per page.
 */
export async function executeBound<T extends object>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const result = await em.getKysely().executeQuery<T>(CompiledQuery.raw(positional('executeBound', sql, params), [...params]));
  return [...result.rows];
}

/**
 * A hot read (the list query) as a named prepared statement: each pooled connection parses and
 * plans it once, then only binds and executes, where `em.execute` sent the whole SQL text with
 * the values written into it for PostgreSQL to parse and plan on every call. Runs on the ORM's
 * own pool, outside any transaction (inside one it falls back to executeBound, in it), and
 * bypasses MikroORM's query hooks. Rows come back with the ORM's type parsing.
 */
export async function queryPrepared<T extends object>(em: EntityManager, sql: string, params: readonly unknown[], opts: { rowMode?: 'array' } = {}): Promise<T[]> {
  if (em.isInTransaction()) {
    const rows = await executeBound<T>(em, sql, params);
    return opts.rowMode === 'array' ? rows.map((row) => Object.values(row) as T) : rows;
  }
  const statement = preparedStatement(sql, params);
  const pool = (await em.getConnection().getNativeClient()) as pg.Pool;
  // Rows as arrays (`rowMode: 'array'`): no object with named keys per row.
  const result = await pool.query<T>({ ...statement, values: [...params], ...(opts.rowMode ? { rowMode: opts.rowMode } : {}) });
  return result.rows;
}

/** `?` placeholders as PostgreSQL's `$1..$n`, checked against the parameters given. */
function positional(caller: string, sql: string, params: readonly unknown[]): string {
  let n = 0;
  const numbered = sql.replace(/\?/g, () => `$${++n}`);
  if (n !== params.length) throw new Error(`${caller}: ${n} placeholders but ${params.length} parameters`);
  return numbered;
}

const statements = new Map<string, { name: string; text: string; placeholders: number }>();

/**
 * The numbered text and a name per distinct statement (pg refuses one name for two texts on a
 * connection), worked out once per SQL text rather than on every call.
 */
function preparedStatement(sql: string, params: readonly unknown[]): { name: string; text: string } {
  let statement = statements.get(sql);
  if (statement === undefined) {
    const text = positional('queryPrepared', sql, params);
    statement = { name: `calsync_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text, placeholders: params.length };
    // A handful of list-query shapes in practice; the bound keeps a misuse from growing it forever.
    if (statements.size >= 1000) statements.clear();
    statements.set(sql, statement);
  } else if (statement.placeholders !== params.length) {
    throw new Error(`queryPrepared: ${statement.placeholders} placeholders but ${params.length} parameters`);
  }
  return { name: statement.name, text: statement.text };
}
