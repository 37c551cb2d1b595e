import type pg from 'pg';

export interface Plan {
  /** The plan's node lines from the top (what proves an index range scan or betrays a sort). */
  top: string[];
  executionMs: number | undefined;
  full: string[];
}

/** EXPLAIN (ANALYZE, BUFFERS) of one statement exactly as the server sends it, with warm buffers. */
export async function explain(sql: pg.Pool, statement: string, topNodes = 6): Promise<Plan> {
  // Once first, so the plan shows the warm state the load runs in, not a first read from disk.
  await sql.query(statement);
  const res = await sql.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${statement}`);
  const full = res.rows.map((r) => r['QUERY PLAN']);
  const nodeIndexes = full.flatMap((line, i) => (i === 0 || line.trimStart().startsWith('->') ? [i] : []));
  const top: string[] = [];
  for (const i of nodeIndexes.slice(0, topNodes)) {
    top.push(full[i] ?? '');
    // The node's own conditions and buffer counts say which range it scanned and at what cost.
    for (let j = i + 1; j < full.length && !full[j]?.trimStart().startsWith('->'); j++) {
      const detail = full[j] ?? '';
      if (/^\s*(Index Cond|Filter|Rows Removed by Filter|Buffers|Sort Key|Sort Method|Recheck Cond)/.test(detail)) top.push(detail);
    }
  }
  const exec = full.find((l) => l.startsWith('Execution Time'));
  return { top, executionMs: exec ? Number(/([\d.]+) ms/.exec(exec)?.[1]) : undefined, full };
}
