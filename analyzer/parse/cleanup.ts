// Scope-based cleanup (linux/cleanup.h): `guard(name)(args)`, `CLASS(name,
// var)(args)`, `scoped_guard(name, args) stmt` and `T *p __free(name)` run a
// constructor where they stand and a destructor at every exit of their
// scope, as the compiler emits them. The program sees those calls as plain
// calls in the IR: the constructor at the declaration, the destructor before
// each return, each goto and break that leaves the scope, and at its end.
// The constructor and destructor themselves come from the definitions
// (`DEFINE_GUARD(name, type, lock, unlock)`, `DEFINE_CLASS`, `DEFINE_FREE`),
// which the normalizer blanks at file scope: they are read again from the
// file's own text and written out as the static inline functions the
// macros define. Which macro is which is data (rules/kernel-c.json).

import { escapeRe } from '../util/regexp';
import type { Expr, LocalVar, Stmt } from './ir';

export interface CleanupConfig {
  /** definer macro → its shape: guard (name, type, lock, unlock), class (name, type, exit, init, init args...), free (name, type, free) */
  definers: Record<string, 'guard' | 'class' | 'free'>;
  /** `guard(name)(args);` */
  guards: string[];
  /** `CLASS(name, var)(args);` */
  classes: string[];
  /** `scoped_guard(name, args) stmt` (the normalizer reads it as an iterator: `while (name, args) stmt`) */
  scopedGuards: string[];
  /** `T *p __free(name) = init;` */
  freeAttributes: string[];
  /** names the definitions give, `{name}` standing for the class: class_{name}_constructor */
  constructor: string;
  destructor: string;
  free: string;
}

/** What a call expression made here is: the macro text a maintainer wrote. */
export type CleanupCall = Extract<Expr, { k: 'call' }> & { cleanup: string };

function named(tpl: string, name: string): string {
  return tpl.replace('{name}', name);
}

// ---- definitions ------------------------------------------------------------

/**
 * C text, line for line with `orig`, that holds the functions the file's
 * cleanup definitions define, each on the line of its definition (arguments
 * over several lines are joined onto it); null when the file has none.
 */
export function definitionsSource(orig: string, cfg: CleanupConfig): string | null {
  const names = Object.keys(cfg.definers);
  if (!names.some((n) => orig.includes(n))) return null;
  const re = new RegExp(`^[ \\t]*(?:static[ \\t]+)?(${names.map(escapeRe).join('|')})[ \\t]*\\(`, 'gm');
  const lines: string[] = [];
  let lineNo = 0;
  let lineAt = 0;
  let found = false;
  let m: RegExpExecArray | null;
  while ((m = re.exec(orig))) {
    const open = m.index + m[0].length - 1;
    const args = splitArgs(orig, open);
    if (!args) continue;
    const code = functionsOf(cfg, cfg.definers[m[1]], args);
    if (!code) continue;
    while (lineAt < m.index) {
      const nl = orig.indexOf('\n', lineAt);
      if (nl < 0 || nl >= m.index) break;
      lineAt = nl + 1;
      lineNo++;
    }
    while (lines.length < lineNo) lines.push('');
    lines[lineNo] = (lines[lineNo] ?? '') + code;
    found = true;
  }
  return found ? lines.join('\n') + '\n' : null;
}

const freeRes = new WeakMap<CleanupConfig, RegExp | null>();
/** `__free(name)` in a declaration's text: [1] the attribute, [2] the name; null when the pack has no such attribute */
export function freeAttributeRe(cfg: CleanupConfig): RegExp | null {
  let re = freeRes.get(cfg);
  if (re === undefined) {
    re = cfg.freeAttributes.length ? new RegExp(`\\b(${cfg.freeAttributes.map(escapeRe).join('|')})\\s*\\(\\s*(\\w+)\\s*\\)`) : null;
    freeRes.set(cfg, re);
  }
  return re;
}

/** The top-level arguments of the parenthesis at `open`, each on one line; null when it does not close. */
function splitArgs(s: string, open: number): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let from = open + 1;
  // a definition's arguments are short: an unclosed one is not read to the end of the file
  const limit = Math.min(s.length, open + 8192);
  for (let i = open; i < limit; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      for (i++; i < s.length && s[i] !== c; i++) if (s[i] === '\\') i++;
      continue;
    }
    if (c === '/' && s[i + 1] === '*') {
      const e = s.indexOf('*/', i + 2);
      if (e < 0) return null;
      i = e + 1;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        out.push(s.slice(from, i));
        return out.map(oneLine);
      }
    } else if (c === ',' && depth === 1) {
      out.push(s.slice(from, i));
      from = i + 1;
    }
  }
  return null;
}

function oneLine(a: string): string {
  return a.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\?\r?\n/g, ' ').trim();
}

function functionsOf(cfg: CleanupConfig, shape: 'guard' | 'class' | 'free', a: string[]): string | null {
  const name = a[0];
  const type = a[1];
  if (!name || !/^\w+$/.test(name) || !type) return null;
  const ctor = named(cfg.constructor, name);
  const dtor = named(cfg.destructor, name);
  if (shape === 'guard' && a.length === 4) {
    return `static inline ${type} ${ctor}(${type} _T) { ${a[2]}; return _T; } static inline void ${dtor}(${type} _T) { ${a[3]}; }`;
  }
  if (shape === 'class' && a.length >= 4) {
    const params = a.slice(4).join(', ') || 'void';
    return `static inline ${type} ${ctor}(${params}) { return ${a[3]}; } static inline void ${dtor}(${type} _T) { ${a[2]}; }`;
  }
  if (shape === 'free' && a.length === 3) {
    return `static inline void ${named(cfg.free, name)}(${type} _T) { ${a[2]}; }`;
  }
  return null;
}

// ---- uses ---------------------------------------------------------------------

/** A constructor that stands in a block, and what ends its scope. */
interface Acquire {
  /** the statement that replaces the use: the declaration of the guarded variable */
  decl: Stmt;
  /** the destructor's call, made again at each exit, on the exit's line */
  release: (line: number) => Stmt;
}

function call(name: string, args: Expr[], line: number, col: number, cleanup: string): CleanupCall {
  return { k: 'call', fn: { k: 'id', name, line, col }, args, line, col, cleanup };
}

/** `guard(name)(args);` or `CLASS(name, var)(args);` as the extractor gave it. */
function acquireOf(s: Stmt, cfg: CleanupConfig): Acquire | null {
  if (s.k !== 'expr' || s.e.k !== 'call') return null;
  const outer = s.e;
  const inner = outer.fn;
  if (inner.k !== 'call' || inner.fn.k !== 'id') return null;
  const macro = inner.fn.name;
  const isGuard = cfg.guards.includes(macro);
  if (!isGuard && !cfg.classes.includes(macro)) return null;
  const nameArg = inner.args[0];
  if (!nameArg || nameArg.k !== 'id') return null;
  const varArg = inner.args[1];
  let v: string;
  // no line in the name: an edit above moves lines, and a reparse moves `line` fields only
  if (isGuard) v = `__guard_${nameArg.name}`;
  else if (varArg && varArg.k === 'id') v = varArg.name;
  else return null;
  const text = isGuard ? `${macro}(${nameArg.name})` : `${macro}(${nameArg.name}, ${v})`;
  return acquire(cfg, nameArg.name, v, outer.args, s.line, inner.col, text);
}

function acquire(cfg: CleanupConfig, name: string, v: string, args: Expr[], line: number, col: number, text: string): Acquire {
  const ctor = call(named(cfg.constructor, name), args, line, col, text);
  const local: LocalVar = { name: v, type: { name: `class_${name}_t`, ptr: 0 }, init: ctor, line };
  return {
    decl: { k: 'decl', vars: [local], line },
    release: (at) => ({ k: 'expr', e: call(named(cfg.destructor, name), [{ k: 'id', name: v, line, col }], at, col, text), line: at }),
  };
}

/** `T *p __free(name) = init;`: the destructor is the free function, the variable its argument. */
export function freeRelease(cfg: CleanupConfig, name: string, v: string, line: number, col: number, attr: string): (at: number) => Stmt {
  const text = `${attr}(${name})`;
  return (at) => ({ k: 'expr', e: call(named(cfg.free, name), [{ k: 'id', name: v, line, col }], at, col, text), line: at });
}

/**
 * A block's statements with each cleanup use made explicit: `released`
 * gives, for a declaration the extractor saw a `__free` on, its destructor;
 * `endLine` is the line of the block's closing brace. Each use rewrites the
 * rest of the block once more, so one block's uses are bounded (`budget`):
 * hostile input with thousands of them would cost their square and recurse
 * as deep.
 */
export function desugarBlock(body: Stmt[], cfg: CleanupConfig, released: WeakMap<Stmt, (line: number) => Stmt>, endLine: number, budget = 64): Stmt[] {
  if (budget <= 0) return body;
  for (let i = 0; i < body.length; i++) {
    const s = body[i];
    const a = acquireOf(s, cfg);
    const release = a ? a.release : released.get(s);
    if (!release) continue;
    const rest = desugarBlock(body.slice(i + 1), cfg, released, endLine, budget - 1);
    const out = body.slice(0, i);
    out.push(a ? a.decl : s);
    const labels = new Set<string>();
    for (const r of rest) labelsIn(r, labels, 0);
    for (const r of rest) out.push(withExits(r, release, labels, 0, 0));
    out.push(release(endLine));
    return out;
  }
  return body;
}

/** `scoped_guard(name, args) body` read as `while (name, args) body`: the scope is the body. */
export function scopedGuard(c: Expr, body: Stmt, line: number, endLine: number, cfg: CleanupConfig, macro: string): Stmt | null {
  const items = c.k === 'seq' ? c.items : [c];
  const first = items[0];
  if (!first || first.k !== 'id') return null;
  const v = `__scoped_guard_${first.name}`;
  const a = acquire(cfg, first.name, v, items.slice(1), line, first.col, `${macro}(${first.name})`);
  const labels = new Set<string>();
  labelsIn(body, labels, 0);
  return { k: 'block', body: [a.decl, withExits(body, a.release, labels, 0, 0), a.release(endLine)] };
}

function labelsIn(s: Stmt, into: Set<string>, depth: number): void {
  if (depth > 400) return;
  switch (s.k) {
    case 'label': into.add(s.name); return;
    case 'block': for (const x of s.body) labelsIn(x, into, depth + 1); return;
    case 'if': case 'pp': labelsIn(s.t, into, depth + 1); if (s.f) labelsIn(s.f, into, depth + 1); return;
    case 'while': case 'switch': labelsIn(s.body, into, depth + 1); return;
    case 'for': labelsIn(s.body, into, depth + 1); return;
    default:
  }
}

/**
 * `s` with the release made before every exit from the scope: each return
 * (after its value is computed), each goto to a label outside it, and each
 * break or continue that is not inside a loop (or, for break, a switch) of
 * its own.
 */
function withExits(s: Stmt, release: (line: number) => Stmt, labels: Set<string>, loops: number, switches: number, depth = 0): Stmt {
  if (depth > 400) return s;
  const d = depth + 1;
  const sub = (x: Stmt, l = loops, w = switches) => withExits(x, release, labels, l, w, d);
  switch (s.k) {
    case 'return': {
      if (!s.e) return { k: 'block', body: [release(s.line), s] };
      const v = '__ret';
      return {
        k: 'block',
        body: [
          { k: 'decl', vars: [{ name: v, type: { name: 'long', ptr: 0 }, init: s.e, line: s.line }], line: s.line },
          release(s.line),
          { k: 'return', e: { k: 'id', name: v, line: s.line, col: 0 }, line: s.line },
        ],
      };
    }
    case 'goto':
      return labels.has(s.label) ? s : { k: 'block', body: [release(s.line), s] };
    case 'break':
      return loops + switches === 0 ? { k: 'block', body: [release(s.line), s] } : s;
    case 'continue':
      return loops === 0 ? { k: 'block', body: [release(s.line), s] } : s;
    case 'block': {
      let changed = false;
      const body: Stmt[] = [];
      for (const x of s.body) {
        const y = sub(x);
        if (y !== x) changed = true;
        body.push(y);
      }
      return changed ? { k: 'block', body } : s;
    }
    case 'if': {
      const t = sub(s.t);
      const f = s.f ? sub(s.f) : undefined;
      return t === s.t && f === s.f ? s : { ...s, t, ...(f ? { f } : {}) };
    }
    case 'pp': {
      const t = sub(s.t);
      const f = s.f ? sub(s.f) : undefined;
      return t === s.t && f === s.f ? s : { ...s, t, ...(f ? { f } : {}) };
    }
    case 'while': {
      const body = sub(s.body, loops + 1);
      return body === s.body ? s : { ...s, body };
    }
    case 'for': {
      const body = sub(s.body, loops + 1);
      return body === s.body ? s : { ...s, body };
    }
    case 'switch': {
      const body = sub(s.body, loops, switches + 1);
      return body === s.body ? s : { ...s, body };
    }
    default:
      return s;
  }
}
