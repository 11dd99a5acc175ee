// A pack checked against rules/schema.json with ajv, and ajv's first error
// said as one KEY: REASON. Compiling the schema costs a start-up 100 ms, more
// than a warm check spends on anything but its analysis, so the build
// compiles it once (scripts/pack-validator.ts, into dist/ beside this
// module); that code is used while its schema's hash is the file's, and a
// schema edited since the build is compiled here instead.

import * as crypto from 'node:crypto';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { KeyPath } from './locate';

export const AJV_OPTIONS: Options = { allowUnionTypes: true, discriminator: true, code: { source: true } };

export const PREBUILT = 'pack-validator.js';

export function schemaHash(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export function compileValidator(schema: object): ValidateFunction {
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  return new Ajv(AJV_OPTIONS).compile(schema);
}

/** The validator of the schema whose text is `text`: the build's, or compiled now when the schema changed since. */
export function packValidator(text: string): ValidateFunction {
  try {
    const pre = require(`./${PREBUILT}`) as ValidateFunction & { schemaHash?: string };
    if (pre.schemaHash === schemaHash(text)) return pre;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
  }
  return compileValidator(JSON.parse(text) as object);
}

export interface SchemaError {
  /** the key at fault: a missing one, one not allowed, or one with a bad value */
  path: KeyPath;
  reason: string;
  /** where the error is in the file: the key, its value, or the object that lacks the key */
  on: 'key' | 'value' | 'parent';
}

/** The one error to report of those ajv gave for `data`: the deepest, since a oneOf's alternatives each add theirs. */
export function schemaError(errors: ErrorObject[], data: unknown, kinds: () => string[]): SchemaError {
  let best: SchemaError | null = null;
  for (const e of errors) {
    if (e.keyword === 'oneOf') continue;
    const x = said(e, data, kinds);
    // of a oneOf's objects, the one whose keys were written: a key it does not know before a key the other lacks
    if (!best || x.path.length > best.path.length || (x.path.length === best.path.length && best.on === 'parent' && x.on === 'key')) best = x;
  }
  return best ?? { path: [], reason: 'does not match the schema', on: 'value' };
}

function said(e: ErrorObject, data: unknown, kinds: () => string[]): SchemaError {
  const path = pathOf(e.instancePath, data);
  const value = valueAt(data, path);
  const p = e.params as Record<string, unknown>;
  const list = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).join(', ');
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(p.missingProperty)], reason: 'is required', on: 'parent' };
    case 'additionalProperties': {
      const kind = isRule(path) ? (value as { kind?: unknown }).kind : undefined;
      const reason = typeof kind === 'string' ? `is not a key of ${kind} rules` : 'is not a known key';
      return { path: [...path, String(p.additionalProperty)], reason, on: 'key' };
    }
    case 'discriminator': {
      const tag = String(p.tag);
      const found = (value as Record<string, unknown>)[tag];
      if (p.error === 'mapping') return { path: [...path, tag], reason: `must be one of ${list(kinds())}, found ${JSON.stringify(found)}`, on: 'value' };
      return { path: [...path, tag], reason: `expected string, found ${typeOf(found)}`, on: 'value' };
    }
    case 'type':
      return { path, reason: `expected ${([] as unknown[]).concat(p.type).join(' or ')}, found ${typeOf(value)}`, on: 'value' };
    case 'const':
      return { path, reason: `must be ${JSON.stringify(p.allowedValue)}`, on: 'value' };
    case 'enum':
      return { path, reason: `must be one of ${list(p.allowedValues as unknown[])}, found ${JSON.stringify(value)}`, on: 'value' };
    case 'minLength':
      return { path, reason: 'must not be empty', on: 'value' };
    case 'pattern':
      // a key of a map (propertyNames: a set's or a role's name), named as the key
      if (typeof e.propertyName === 'string') return { path: [...path, e.propertyName], reason: `${JSON.stringify(e.propertyName)} is not a name: does not match ${String(p.pattern)}`, on: 'key' };
      return { path, reason: `${JSON.stringify(value)} does not match ${String(p.pattern)}`, on: 'value' };
    case 'minimum':
      return { path, reason: `must be at least ${String(p.limit)}`, on: 'value' };
    case 'maximum':
      return { path, reason: `must be at most ${String(p.limit)}`, on: 'value' };
    case 'minItems':
      return { path, reason: `needs at least ${String(p.limit)} item(s)`, on: 'value' };
    default:
      return { path, reason: e.message ?? `fails ${e.keyword}`, on: 'value' };
  }
}

/** `rules[3]`: the only place a pack holds rules. */
function isRule(path: KeyPath): boolean {
  return path.length === 2 && path[0] === 'rules' && typeof path[1] === 'number';
}

/** A JSON pointer (`/rules/3/entries`) as keys, array indexes as numbers. */
function pathOf(pointer: string, data: unknown): KeyPath {
  const out: KeyPath = [];
  let at = data;
  for (const raw of pointer.split('/').slice(1)) {
    const s = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(at) ? Number(s) : s;
    out.push(step);
    at = (at as Record<string | number, unknown> | undefined)?.[step];
  }
  return out;
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let at = data;
  for (const s of path) at = (at as Record<string | number, unknown> | undefined)?.[s];
  return at;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
