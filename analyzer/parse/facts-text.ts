// The text form of a file's facts, as the cache stores them and workers send
// them: line 1 is the facts with no function bodies, then one line a function
// with its body, in order. JSON never holds a raw newline, so the
// lines split cleanly, and a run too large to hold every body in memory can
// leave them on disk and read one when it is needed (body-store.ts).

import type { FileFacts, FunctionFact, Stmt } from './ir';

export function factsToText(f: FileFacts): string {
  const bodies = f.functions.map(bodyJSON);
  // no `body` key at all (not null): body-store.ts adds an accessor in its place
  const skeleton = JSON.stringify({ ...f, functions: f.functions.map(withoutBody) });
  return bodies.length ? `${skeleton}\n${bodies.join('\n')}` : skeleton;
}

/** A function's facts but its body, which is not read (a lazy body is not parsed for it). */
export function withoutBody(fn: FunctionFact): Omit<FunctionFact, 'body'> {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(fn)) if (k !== 'body') o[k] = (fn as unknown as Record<string, unknown>)[k];
  return o as Omit<FunctionFact, 'body'>;
}

const TEXT = Symbol('facts text');
const AT = Symbol('body at');
const END = Symbol('body end');
const PARSED = Symbol('body parsed');
type LazyFunction = FunctionFact & { [TEXT]: string; [AT]: number; [END]: number; [PARSED]: Stmt | undefined };

/**
 * Many bodies of a tree are never walked: the program is made of
 * declarations, and a run reaches the functions its entries call and what
 * their footprints reach (2,109 of KVM's 3,813 for an edit of
 * kvm_arch_vcpu_create the hook re-runs). So a body stays text until it is
 * asked for, and is then parsed once. One
 * accessor for all functions and non-enumerable state, as in body-store.ts:
 * one hidden class, and a spread or JSON.stringify sees a plain `body`.
 */
const LAZY: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyFunction) {
    let b = this[PARSED];
    if (b === undefined) {
      b = this[PARSED] = JSON.parse(this[TEXT].slice(this[AT], this[END])) as Stmt;
      this[TEXT] = ''; // the file's text is let go once every body of it is parsed
    }
    return b;
  },
  set(this: LazyFunction, v: Stmt) {
    this[PARSED] = v;
    this[TEXT] = '';
  },
};

function hide(o: object, k: symbol, value: unknown): void {
  Object.defineProperty(o, k, { value, writable: true, enumerable: false, configurable: true });
}

/** JSON.stringify(fn.body), which for a lazy body not yet parsed is the text it would be parsed from. */
function bodyJSON(fn: FunctionFact): string {
  const l = fn as Partial<LazyFunction>;
  return l[TEXT] ? l[TEXT].slice(l[AT], l[END]) : JSON.stringify(fn.body);
}

/**
 * A body this short is parsed at once: a lazy one keeps the file's whole
 * text alive, and a file read for its declarations only (discover.ts
 * walkedMatcher) has nothing but empty bodies, whose text would then outlive
 * them: 200 MB more at the peak of a whole-kernel check.
 */
const EAGER_BODY = 64;

export function factsFromText(text: string): FileFacts {
  let nl = text.indexOf('\n');
  const f = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as FileFacts;
  for (const fn of f.functions) {
    const from = nl + 1;
    nl = text.indexOf('\n', from);
    const end = nl < 0 ? text.length : nl;
    const lazy = end - from > EAGER_BODY;
    hide(fn, TEXT, lazy ? text : '');
    hide(fn, AT, from);
    hide(fn, END, end);
    hide(fn, PARSED, lazy ? undefined : JSON.parse(text.slice(from, end)));
    Object.defineProperty(fn, 'body', LAZY);
  }
  return f;
}

/** Where each line of a text form starts and ends, in bytes of its UTF-8 form from `at`. */
export function lineSpans(bytes: Uint8Array, at: number): { start: number[]; end: number[] } {
  const start: number[] = [];
  const end: number[] = [];
  let from = at;
  for (;;) {
    const nl = bytes.indexOf(10, from);
    start.push(from);
    end.push(nl < 0 ? bytes.length : nl);
    if (nl < 0) break;
    from = nl + 1;
  }
  return { start, end };
}
