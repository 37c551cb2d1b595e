import type { GoogleEvent } from '@calsync/google';
import type { z } from 'zod';

/**
 * The building blocks of a record's field table (see shape.ts): each field says once how it is
 * stored, where its value comes from, whether the API shows it and whether callers may set it.
 * Everything else (the ORM entity, column lists, row decoding, the upsert, the wire and REST
 * forms, the write inputs) is derived from the table, so a new field is one entry plus its
 * migration.
 */

/** How a value is stored; decides its SQL type, how a row is read back and its REST form. */
export type ColumnKind = 'uuid' | 'text' | 'enum' | 'boolean' | 'timestamptz' | 'jsonb';

/** The PostgreSQL type of each kind (enums are text with a CHECK). */
export const SQL_TYPES: Readonly<Record<ColumnKind, string>> = {
  uuid: 'uuid',
  text: 'text',
  enum: 'text',
  boolean: 'boolean',
  timestamptz: 'timestamptz',
  jsonb: 'jsonb',
};

/** A column default: a boolean, an enum's value, or an empty JSON array or object. */
export type SqlDefault = boolean | string | readonly never[] | Readonly<Record<string, never>>;

/** D: whether the column has a default in the schema (an insert may leave it out). */
export interface Column<T, D extends boolean = boolean> {
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  /** The allowed values of an enum column. */
  readonly values: readonly string[] | undefined;
  /** The column's default in the schema (rows inserted without it). */
  readonly sqlDefault: SqlDefault | undefined;
  /** Shown in the API reference. */
  readonly description: string | undefined;
  /** jsonb: the stored JSON as the value (tolerating rows written by older versions). */
  readonly fromJson: ((json: unknown) => T) | undefined;
  /** jsonb: the REST (snake_case) form of the value and its schema. */
  readonly rest: { readonly schema: z.ZodType; encode(value: T): unknown } | undefined;
  /**
   * jsonb: an SQL expression (text) of the value's JSON exactly as JSON.stringify writes the API
   * value, given the column's SQL expression (REST renames its keys, see listWindowJson).
   */
  readonly sqlJson: ((column: string) => string) | undefined;
  /** Phantoms: carry the value type and whether there is a default. */
  readonly type?: T;
  readonly hasDefault?: D;
}

/** A list page's JSON: the API's (tRPC) or REST's (snake_case keys). */
export type JsonStyle = 'api' | 'rest';

type ColumnOptions<T> = Partial<Pick<Column<T>, 'values' | 'sqlDefault' | 'description' | 'fromJson' | 'rest' | 'sqlJson'>>;
type DefaultOf<O> = O extends { sqlDefault: SqlDefault } ? true : false;

function column<T, D extends boolean>(kind: ColumnKind, options: ColumnOptions<T> = {}): Column<T, D> {
  return {
    kind,
    nullable: false,
    values: options.values,
    sqlDefault: options.sqlDefault,
    description: options.description,
    fromJson: options.fromJson,
    rest: options.rest,
    sqlJson: options.sqlJson,
  };
}

export const uuid = <const O extends ColumnOptions<string> = object>(options?: O): Column<string, DefaultOf<O>> => column('uuid', options);
export const text = <const O extends ColumnOptions<string> = object>(options?: O): Column<string, DefaultOf<O>> => column('text', options);
export const bool = <const O extends ColumnOptions<boolean> = object>(options?: O): Column<boolean, DefaultOf<O>> => column('boolean', options);
export const timestamp = <const O extends ColumnOptions<Date> = object>(options?: O): Column<Date, DefaultOf<O>> => column('timestamptz', options);
export const oneOf = <const V extends readonly string[], const O extends ColumnOptions<V[number]> = object>(values: V, options?: O): Column<V[number], DefaultOf<O>> =>
  column('enum', { ...options, values });
type JsonOptions<T> = ColumnOptions<T> & { fromJson: (json: unknown) => T; rest: NonNullable<Column<T>['rest']>; sqlJson: NonNullable<Column<T>['sqlJson']> };
export function json<T>(options: JsonOptions<T> & { sqlDefault: readonly never[] | Readonly<Record<string, never>> }): Column<T, true>;
export function json<T>(options: JsonOptions<T>): Column<T, false>;
export function json<T>(options: JsonOptions<T>): Column<T> {
  return column('jsonb', options);
}

/** The same column, allowing null. */
export const nullable = <T, D extends boolean>(c: Column<T, D>): Column<T | null, D> => ({ ...(c as Column<T | null, D>), nullable: true });

/** What a write's fields other than its own may contribute (Google wants start and end in one zone). */
export interface WriteContext {
  timeZone: string | null | undefined;
}

/** A field callers may set through the API, and how it goes to Google. */
export interface WriteSpec<I extends z.ZodType = z.ZodType, R extends boolean = boolean> {
  /** What a caller may send (its output is what is written). */
  readonly input: I;
  /** Must be given on create (otherwise optional there); always optional on update. */
  readonly required: R;
  /** Puts the value into Google's request body; null clears a nullable field. */
  toGoogle(value: z.output<I> | null, body: GoogleEvent, context: WriteContext): void;
}

/**
 * Where a stored value comes from: `id` a new UUID on insert, `calendar` the calendar the row
 * belongs to, `google` Google's event (via `fromGoogle`), `created`/`updated` the database clock.
 */
export type Source = 'id' | 'calendar' | 'google' | 'created' | 'updated';

export interface Field<T, S extends Source = Source, Api extends boolean = boolean, W extends WriteSpec | undefined = WriteSpec | undefined, D extends boolean = boolean> {
  readonly column: Column<T, D>;
  readonly source: S;
  /** Part of what the API returns (false: bookkeeping of our own). */
  readonly api: Api;
  readonly fromGoogle: ((event: GoogleEvent) => T) | undefined;
  readonly write: W;
}

/** A field of ours (not from Google) that the API returns. */
export const local = <T, D extends boolean, S extends Exclude<Source, 'google'>>(c: Column<T, D>, source: S): Field<T, S, true, undefined, D> => ({
  column: c,
  source,
  api: true,
  fromGoogle: undefined,
  write: undefined,
});

/** A field read from Google's event; `write` when callers may set it, `api: false` to keep it internal. */
export function synced<T, D extends boolean, I extends z.ZodType = never, const R extends boolean = false, const Api extends boolean = true>(
  c: Column<T, D>,
  fromGoogle: (event: GoogleEvent) => T,
  options: { write?: WriteSpec<I, R>; api?: Api } = {},
): Field<T, 'google', Api, [I] extends [never] ? undefined : WriteSpec<I, R>, D> {
  return { column: c, source: 'google', api: (options.api ?? true) as Api, fromGoogle, write: options.write as [I] extends [never] ? undefined : WriteSpec<I, R> };
}

/** A field table: field name (camelCase) -> field. */
export type FieldTable = Readonly<Record<string, Field<unknown>>>;

export type ValueOf<F> = F extends Field<infer T> ? T : never;
/** A whole stored record (one value per field). */
export type RecordOf<F extends FieldTable> = { -readonly [K in keyof F]: ValueOf<F[K]> };
/** The names of the fields the API returns. */
export type ApiKeys<F extends FieldTable> = { [K in keyof F]: F[K] extends Field<unknown, Source, true> ? K : never }[keyof F];
/** The names of the fields read from Google. */
export type GoogleKeys<F extends FieldTable> = { [K in keyof F]: F[K] extends Field<unknown, 'google'> ? K : never }[keyof F];
/** The names of the fields callers may set. */
export type WriteKeys<F extends FieldTable> = { [K in keyof F]: F[K]['write'] extends WriteSpec ? K : never }[keyof F];

/** `googleEventId` -> `google_event_id`: the column name of a field. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The same at the type level. */
export type SnakeCase<K extends string> = K extends `${infer Head}${infer Tail}`
  ? `${Head extends Uppercase<Head> ? (Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`) : Head}${SnakeCase<Tail>}`
  : K;

/** The table's entries in declaration order, with their column names. */
export function entriesOf<F extends FieldTable>(table: F): Array<{ name: keyof F & string; columnName: string; field: Field<unknown> }> {
  return Object.entries(table).map(([name, field]) => ({ name, columnName: snakeCase(name), field }));
}
