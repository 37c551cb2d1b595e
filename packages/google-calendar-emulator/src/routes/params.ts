/** Query-string parsing with Google's 400 answers for malformed values. */
import type { Request } from 'express';
import { invalidParam } from '../errors.ts';
import { parseRfc3339 } from '../time.ts';

export function param(req: Request, name: string): string | undefined {
  const v: unknown = req.query[name];
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : undefined;
}

export function boolParam(req: Request, name: string, fallback: boolean): boolean {
  const v = param(req, name);
  if (v === undefined) return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidParam(name, `Invalid boolean value: '${v}'.`);
}

export function intParam(req: Request, name: string, fallback: number, min: number, max: number): number {
  const v = param(req, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw invalidParam(name, `Invalid value '${v}'. Values must match the following regular expression: '-?\\d+'`);
  const n = Number(v);
  if (n < min || n > max) throw invalidParam(name, `Invalid value '${v}' for ${name}.`);
  return n;
}

/** `lenient`: a value that is not an RFC3339 timestamp gives undefined instead of a 400. */
export function timeParam(req: Request, name: string, lenient = false): number | undefined {
  const v = param(req, name);
  if (v === undefined) return undefined;
  const ms = parseRfc3339(v);
  if (ms === undefined && !lenient) throw invalidParam(name, `Invalid value for ${name}: an RFC3339 timestamp with a time zone offset is required.`);
  return ms;
}

export function enumParam<T extends string>(req: Request, name: string, allowed: readonly T[]): T | undefined {
  const v = param(req, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw invalidParam(name, `Invalid value '${v}' for ${name}.`);
  return v as T;
}
