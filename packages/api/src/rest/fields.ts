import { z } from 'zod';
import type { FieldError } from '../error-body.ts';

/** REST (snake_case) name -> the procedure input's (camelCase) name. */
export type FieldMap = Readonly<Record<string, string>>;

/** Bad input found before the procedure is called: unknown fields, unreadable dates or numbers. */
export class RestInputError extends Error {
  override readonly name = 'RestInputError';
  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
  }
}

export const DATE_TIME_MESSAGE = 'must be an ISO 8601 date-time with a UTC offset, e.g. 2031-03-10T14:00:00Z';
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * One request's translation between the REST names and the procedure's input, in both
 * directions: values in, field names and messages of the procedure's errors out. Values it
 * could not read are handed on as unusable (Invalid Date, NaN) so that the procedure still
 * validates everything in one pass; their messages are then replaced by what REST callers sent
 * wrong (a string that is no date), rather than what the procedure saw.
 */
export class FieldNaming {
  private readonly toRest = new Map<string, string>();
  private readonly unreadable = new Map<string, string>();

  constructor(private readonly fields: FieldMap) {
    for (const [rest, input] of Object.entries(fields)) this.toRest.set(input, rest);
  }

  /** Names a procedure input that is not a body field (a path parameter or header). */
  alias(input: string, rest: string): this {
    this.toRest.set(input, rest);
    return this;
  }

  /**
   * Renames the known fields of a JSON object (a body, or the query's parameters). Unknown
   * fields are refused here rather than handed on: a camelCase name the procedure happens to
   * know (`startTime`) must not slip through the REST contract.
   */
  translate(source: unknown, where: string, read: (restName: string, value: unknown) => unknown): Record<string, unknown> {
    const given = source ?? {};
    if (typeof given !== 'object' || Array.isArray(given)) throw new RestInputError([{ field: '', message: `the ${where} must be a JSON object` }]);
    const input: Record<string, unknown> = {};
    const unknown: FieldError[] = [];
    for (const [key, value] of Object.entries(given)) {
      const target = Object.hasOwn(this.fields, key) ? this.fields[key] : undefined;
      if (target === undefined) unknown.push({ field: key, message: 'is not a known field' });
      else input[target] = read(key, value);
    }
    if (unknown.length > 0) throw new RestInputError([...unknown, ...this.unreadableErrors()]);
    return input;
  }

  /**
   * A body field holding an object with REST names of its own (`links: {deal_id}`): renamed one
   * level down; unknown names are refused like unknown fields. Not an object: handed on as is.
   */
  nested(restName: string, fields: FieldMap, value: unknown): unknown {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    const unknown: FieldError[] = [];
    for (const [key, v] of Object.entries(value)) {
      const target = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (target === undefined) unknown.push({ field: `${restName}.${key}`, message: 'is not a known field' });
      else {
        out[target] = v;
        this.alias(`${this.inputName(restName)}.${target}`, `${restName}.${key}`);
      }
    }
    if (unknown.length > 0) throw new RestInputError(unknown);
    return out;
  }

  private inputName(restName: string): string {
    return Object.hasOwn(this.fields, restName) ? (this.fields[restName] ?? restName) : restName;
  }

  /** An ISO 8601 string as a Date; anything else becomes an Invalid Date the procedure refuses. */
  date(restName: string, value: unknown): unknown {
    if (typeof value === 'string' && isoDateTime.safeParse(value).success) return new Date(value);
    return this.markUnreadable(restName, DATE_TIME_MESSAGE, new Date(Number.NaN));
  }

  /** A query parameter holding an integer. */
  integer(restName: string, value: unknown): unknown {
    if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value);
    return this.markUnreadable(restName, 'must be an integer', Number.NaN);
  }

  /** A query parameter given once (`?a=1&a=2` arrives as a list). */
  single(restName: string, value: unknown): unknown {
    // The list itself is handed on: every parameter's schema refuses it, so the call cannot succeed.
    return typeof value === 'string' ? value : this.markUnreadable(restName, 'must be given once', value);
  }

  private markUnreadable(restName: string, message: string, placeholder: unknown): unknown {
    this.unreadable.set(restName, message);
    return placeholder;
  }

  private unreadableErrors(): FieldError[] {
    return [...this.unreadable].map(([field, message]) => ({ field, message }));
  }

  /**
   * The procedure's field errors under REST names (`endTime` -> `end_time`, `attendees.1` stays),
   * with the REST layer's own message for values it could not read.
   */
  fieldErrors(errors: readonly FieldError[]): FieldError[] {
    const out: FieldError[] = [];
    const seen = new Set<string>();
    for (const e of errors) {
      const parts = e.field.split('.');
      // The longest named prefix (`links.dealId` -> `links.deal_id`), else the head alone.
      let field = e.field;
      for (let n = parts.length; n >= 1; n--) {
        const named = this.toRest.get(parts.slice(0, n).join('.'));
        if (named !== undefined) {
          field = [named, ...parts.slice(n)].join('.');
          break;
        }
      }
      const override = this.unreadable.get(field);
      if (override !== undefined) {
        if (!seen.has(field)) out.push({ field, message: override });
      } else out.push({ field, message: this.message(e.message) });
      seen.add(field);
    }
    for (const [field, message] of this.unreadable) if (!seen.has(field)) out.push({ field, message });
    return out;
  }

  /** A message that names input fields (`must be after startTime`), in REST names. */
  message(text: string): string {
    let out = text;
    for (const [input, rest] of this.toRest) if (input !== rest) out = out.replace(new RegExp(`\\b${input}\\b`, 'g'), rest);
    return out;
  }
}
