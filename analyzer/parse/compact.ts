// Facts hold many short strings (names, types, conditions, macro bodies), the
// same ones over and over: every `struct kvm_vcpu *vcpu` parameter brings its
// own copies. Every string of a file's facts is replaced by one copy shared by
// the whole process, a copy that owns its characters (not a slice of the
// file). On drivers/net/ethernet/intel (10.7 MB) the facts took 87 MB of heap
// with function bodies and 22 MB without; 66 MB and 11 MB after this.

import { ownCopy } from '../util/own-copy';
import type { FileFacts } from './ir';

const interned = new Map<string, string>();

function flat(s: string): string {
  let v = interned.get(s);
  if (v === undefined) {
    v = ownCopy(s);
    interned.set(v, v);
  }
  return v;
}

/** Replaces every string in a facts tree, in place, by its shared flat copy. */
export function compactStrings(root: object): void {
  const stack: object[] = [root];
  while (stack.length) {
    const o = stack.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const v = o[i];
        if (typeof v === 'string') o[i] = flat(v);
        else if (v !== null && typeof v === 'object') stack.push(v);
      }
    } else {
      for (const k of Object.keys(o)) {
        const v = o[k];
        if (typeof v === 'string') o[k] = flat(v);
        else if (v !== null && typeof v === 'object') stack.push(v);
      }
    }
  }
}

/**
 * A copy of a file's facts that is what factsFromText(factsToText(f)) would
 * give (the same keys in the same order, a function's body last, no key whose
 * value is undefined, null for what JSON cannot hold), with every string the
 * shared flat copy: the in-process path gets the objects a worker's or the
 * cache's text would give, without writing and parsing the text.
 */
export function compactFacts(f: FileFacts): FileFacts {
  const out = copy(f) as FileFacts;
  const fns = out.functions;
  for (let i = 0; i < fns.length; i++) {
    // factsFromText adds the body after the rest (facts-text.ts)
    const fn = fns[i];
    const body = fn.body;
    const o = {} as Record<string, unknown>;
    for (const k of Object.keys(fn)) if (k !== 'body') put(o, k, (fn as unknown as Record<string, unknown>)[k]);
    o.body = body;
    fns[i] = o as unknown as typeof fn;
  }
  return out;
}

function put(o: Record<string, unknown>, k: string, v: unknown): void {
  // JSON.parse makes `__proto__` an own property; an assignment would set the prototype
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/** JSON's view of a value: undefined for what an object leaves out, which an array holds as null. */
function copy(v: unknown, depth = 0): unknown {
  switch (typeof v) {
    case 'string':
      return flat(v);
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case 'boolean':
      return v;
    case 'object': {
      if (v === null) return null;
      if (depth > 2000) return deep(v);
      if (Array.isArray(v)) {
        const a = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = copy(v[i], depth + 1);
          a[i] = x === undefined ? null : x;
        }
        return a;
      }
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return deep(v);
      const o = {} as Record<string, unknown>;
      const src = v as Record<string, unknown>;
      for (const k of Object.keys(src)) {
        const x = copy(src[k], depth + 1);
        if (x !== undefined) put(o, k, x);
      }
      return o;
    }
    default:
      return undefined;
  }
}

/** Past a depth the recursion stack cannot take, or for anything unusual: the text round trip itself. */
function deep(v: unknown): unknown {
  const parsed = JSON.parse(JSON.stringify(v)) as unknown;
  compactStrings(parsed as object);
  return parsed;
}
