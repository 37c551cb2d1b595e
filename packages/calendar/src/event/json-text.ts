/** SQL that writes JSON text as JSON.stringify would (see json-sql.ts); no dependencies, for the shape's own columns. */

/**
 * `toISOString()` of a timestamptz: milliseconds, UTC, `Z`. The colons are quoted literals
 * (`":"`): a bare `:MI` reads as a variable to SQL tools such as pgbench.
 */
export const isoText = (c: string): string => `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"')`;

/** A JSON value of text (null stays null). */
export const jsonText = (expression: string): string => `coalesce(to_json(${expression})::text, 'null')`;
