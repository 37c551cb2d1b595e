import superjson, { type SuperJSONResult } from 'superjson';

export type Annotation = ['Date'] | ['undefined'];

const escapeKey = (key: string): string => (key.includes('.') || key.includes('\\') ? key.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : key);
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

class Unsupported extends Error {}

/**
 * superjson's wire format for what our procedures return (plain objects, arrays, strings, finite
 * numbers, booleans, null, undefined and Dates), made without superjson's generic walker, which
 * cost ~6 ms for a 250-event page (more than the query). Anything else (Map, Set, BigInt, NaN,
 * -0, class instances, an object reached twice, ...) goes to superjson itself.
 *
 * `json` is exactly superjson's. The annotations (`meta.values`) are superjson's tree in its
 * nested form (`{items: {0: {startTime: ['Date']}}}`) rather than the flattened form superjson
 * writes (`{'items.0.startTime': ['Date']}`): superjson's decoder reads both the same way, and
 * the nested form needs no path string and no hashed key per date (1,000 per page), and is
 * smaller. The tests decode both forms with superjson and compare.
 */
export function serializeOutput(value: unknown): SuperJSONResult {
  const state: WalkState = { annotation: undefined, seen: new Set() };
  let json: unknown;
  try {
    json = encode(value, state);
  } catch (err) {
    if (err instanceof Unsupported) return superjson.serialize(value);
    throw err;
  }
  if (state.annotation === undefined) return { json } as SuperJSONResult;
  // Annotations before the data: V8 (Node 24) stringifies a large value measurably slower when an
  // object with index keys ({items: {0: ...}}) follows it (0.68 vs 0.46 ms for a 250-event page).
  // superjson reads either order.
  return { meta: { values: state.annotation, v: 1 }, json } as SuperJSONResult;
}

/** A leaf annotation, or the annotations inside a container keyed by (escaped) key or index. */
type AnnotationTree = Annotation | { [key: string]: AnnotationTree };

/** Shared by every Date's annotation: superjson only reads it. */
export const DATE: Annotation = ['Date'];
const UNDEFINED: Annotation = ['undefined'];

interface WalkState {
  /** What the value just encoded needs annotated (read and cleared by its container). */
  annotation: AnnotationTree | undefined;
  seen: Set<object>;
}

/**
 * One plain recursive function (no closures, paths or tuples per value): a page of 250 events is
 * ~6,000 values. Returns the encoded value and leaves its annotations in `state.annotation`.
 */
function encode(v: unknown, state: WalkState): unknown {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || Object.is(v, -0)) throw new Unsupported();
    return v;
  }
  if (v === undefined) {
    state.annotation = UNDEFINED;
    return null;
  }
  if (typeof v !== 'object') throw new Unsupported();
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Date.prototype) {
    const time = (v as Date).getTime();
    if (Number.isNaN(time)) throw new Unsupported();
    state.annotation = DATE;
    return isoString(v as Date, time);
  }
  if (state.seen.has(v)) throw new Unsupported();
  state.seen.add(v);
  let inner: Record<string, AnnotationTree> | undefined;
  // Copy on write: a container is copied only when something inside it changes (a Date becomes
  // its string), so an event's attendees are passed through as they are.
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const encoded = encode(item, state);
      if (state.annotation !== undefined) {
        (inner ??= {})[i] = state.annotation;
        state.annotation = undefined;
      }
      if (encoded !== item) (copy ??= v.slice())[i] = encoded;
    }
    state.annotation = inner;
    return copy ?? v;
  }
  if (proto !== Object.prototype && proto !== null) throw new Unsupported();
  const source = v as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(source)) {
    if (REFUSED_KEYS.has(k)) throw new Unsupported();
    const item = source[k];
    const encoded = encode(item, state);
    if (state.annotation !== undefined) {
      (inner ??= {})[escapeKey(k)] = state.annotation;
      state.annotation = undefined;
    }
    if (encoded !== item) (copy ??= { ...source })[k] = encoded;
  }
  state.annotation = inner;
  return copy ?? source;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const MS_PER_DAY = 86_400_000;
/** 'YYYY-MM-DDT' per day number since the epoch: a page's events share a handful of days. */
const dayPrefixes = new Map<number, string>();
const MAX_CACHED_DAYS = 4096;

/**
 * Exactly `date.toISOString()`, about 20 times faster: V8's toISOString cost more than everything
 * else in encoding a page (four dates per event). The date part comes from toISOString itself
 * (so extended years stay right) once per day; the time of day is arithmetic and table lookups.
 */
export function isoString(date: Date, time = date.getTime()): string {
  const day = Math.floor(time / MS_PER_DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const full = date.toISOString();
    prefix = full.slice(0, full.indexOf('T') + 1);
    if (dayPrefixes.size >= MAX_CACHED_DAYS) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  let ms = time - day * MS_PER_DAY;
  const hours = Math.floor(ms / 3_600_000);
  ms -= hours * 3_600_000;
  const minutes = Math.floor(ms / 60_000);
  ms -= minutes * 60_000;
  const seconds = Math.floor(ms / 1000);
  ms -= seconds * 1000;
  return `${prefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[ms]}Z`;
}

/** A result type whose wire form its own encoder writes from the known shape, without the walk. */
export interface KnownOutput<T extends object> {
  type: abstract new (...args: never[]) => T;
  encode: (value: T) => SuperJSONResult;
}

/**
 * The API's transformer: superjson both ways, with the fast encoder for what procedures return,
 * and the given encoders for results of known types (recognised by class).
 */
export function createTransformer(known: ReadonlyArray<KnownOutput<object>> = []) {
  const serialize = (value: unknown): SuperJSONResult => {
    if (typeof value === 'object' && value !== null) {
      for (const k of known) if (value instanceof k.type) return k.encode(value);
    }
    return serializeOutput(value);
  };
  return {
    input: superjson,
    output: { serialize, deserialize: (data: SuperJSONResult): unknown => superjson.deserialize(data) },
  };
}

export function knownOutput<T extends object>(type: abstract new (...args: never[]) => T, encode: (value: T) => SuperJSONResult): KnownOutput<object> {
  return { type, encode: encode as (value: object) => SuperJSONResult };
}
