import superjson, { type SuperJSONResult } from 'superjson';

type Annotation = ['Date'] | ['undefined'];

const escapeKey = (key: string): string => (key.includes('.') || key.includes('\\') ? key.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : key);
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

class Unsupported extends Error {}

/**
 * superjson's exact wire format for what our procedures return (plain objects, arrays, strings,
 * finite numbers, booleans, null, undefined and Dates), made without superjson's generic walker,
 * which cost ~6 ms for a 250-event page (more than the query). Anything else (Map, Set, BigInt,
 * NaN, -0, class instances, an object reached twice, ...) goes to superjson itself, so the output
 * is always what `superjson.serialize` would give and clients decode it with superjson as ever.
 */
/** A path kept as a chain and only turned into superjson's dotted string when a value needs it. */
interface PathNode {
  parent: PathNode | null;
  key: string;
}

function pathString(node: PathNode): string {
  let out = node.key;
  for (let p = node.parent; p; p = p.parent) out = `${p.key}.${out}`;
  return out;
}

export function serializeOutput(value: unknown): SuperJSONResult {
  const annotations: Array<[string, Annotation]> = [];
  let rootAnnotation: Annotation | undefined;
  const seen = new Set<object>();
  // The path is the container chain plus the key inside it; a string is built only for a value
  // that needs an annotation (a Date or undefined), not for every field.
  const annotate = (parent: PathNode | null, key: string | null, a: Annotation) => {
    if (key === null) rootAnnotation = a;
    else annotations.push([pathString({ parent, key }), a]);
  };

  const walk = (v: unknown, parent: PathNode | null, key: string | null): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Object.is(v, -0)) throw new Unsupported();
      return v;
    }
    if (v === undefined) {
      if (key === null) throw new Unsupported();
      annotate(parent, key, ['undefined']);
      return null;
    }
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new Unsupported();
      annotate(parent, key, ['Date']);
      return v.toISOString();
    }
    if (typeof v !== 'object' || seen.has(v)) throw new Unsupported();
    seen.add(v);
    const here: PathNode | null = key === null ? null : { parent, key };
    if (Array.isArray(v)) return v.map((item, i) => walk(item, here, String(i)));
    if (!isPlainObject(v)) throw new Unsupported();
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (REFUSED_KEYS.has(k)) throw new Unsupported();
      out[k] = walk(v[k], here, escapeKey(k));
    }
    return out;
  };

  let json: unknown;
  try {
    json = walk(value, null, null);
  } catch (err) {
    if (err instanceof Unsupported) return superjson.serialize(value);
    throw err;
  }
  const result = { json } as SuperJSONResult;
  if (rootAnnotation) result.meta = { values: rootAnnotation, v: 1 } as SuperJSONResult['meta'];
  else if (annotations.length > 0) result.meta = { values: Object.fromEntries(annotations), v: 1 } as SuperJSONResult['meta'];
  return result;
}

/** The API's transformer: superjson both ways, with the fast encoder for what procedures return. */
export const transformer = {
  input: superjson,
  output: { serialize: serializeOutput, deserialize: (data: SuperJSONResult): unknown => superjson.deserialize(data) },
};
