import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/**
 * Runs SQL with `?` placeholders as a parameterised statement, inside the EntityManager's
 * transaction when it has one. Unlike `em.execute`, which writes the values into the SQL text,
 * a 2,500-event sync page (a few MB of JSON) travels as one bound parameter: no escaping pass
 * over it and no second multi-megabyte string per page.
 */
export async function executeBound<T extends object>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  let n = 0;
  const numbered = sql.replace(/\?/g, () => `$${++n}`);
  if (n !== params.length) throw new Error(`executeBound: ${n} placeholders but ${params.length} parameters`);
  const result = await em.getKysely().executeQuery<T>(CompiledQuery.raw(numbered, [...params]));
  return [...result.rows];
}
