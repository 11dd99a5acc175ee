// Call-site resolution: direct calls, calls through function-like macros,
// and indirect calls through tables of function pointers. Indirect calls are
// resolved by type and member, never by name: `x->hook(...)` where x is a
// `struct S *` reaches every `S` table in the tree that sets `.hook`.

import type { Expr, FunctionFact, Stmt, TableFact, TypeRef } from '../parse/ir';
import type { TreeFacts } from './program';
import type { Pack } from '../pack/load';
import { walkStmt } from './walk';
import { buildProgram, Program, HookImpl, resolveFunction, structOf, fieldOf, structName, canonicalType, cmp, defCond } from './program';

/** cleanup: a constructor or destructor a scope-based cleanup use calls (parse/cleanup.ts) */
export type EdgeKind = 'direct' | 'macro' | 'ops' | 'cleanup';

export interface Target {
  fn: FunctionFact;
  kind: EdgeKind;
  /** for ops: `table.member`; for macro: the macro's name */
  via?: string;
  /** preprocessor condition the callee's definition sits under */
  cond?: string;
}

export interface CallInfo {
  targets: Target[];
  /** the call is indirect (not a plain name) */
  indirect: boolean;
  /** why an indirect call has no target */
  why?: string;
  /** text of the callee, for messages */
  text: string;
  /** name of the called function or macro, when called by name */
  name?: string;
  /** `struct.member` for an ops call */
  hook?: string;
}

type CallExpr = Extract<Expr, { k: 'call' }>;
type FieldExpr = Extract<Expr, { k: 'field' }>;

/**
 * What the resolver computed for IR nodes, once per program. The same facts
 * can be linked into several programs (another pack, a patched tree beside
 * its base, facts from a cache), so the memo belongs to the program and is
 * never written into the facts: facts stay plain data that any number of
 * programs share, and a program's memo goes when the program goes.
 */
interface Memo {
  calls: WeakMap<CallExpr, CallInfo>;
  fields: WeakMap<FieldExpr, string | null>;
}
const memos = new WeakMap<Program, Memo>();
function memoOf(p: Program): Memo {
  let m = memos.get(p);
  if (!m) memos.set(p, (m = { calls: new WeakMap(), fields: new WeakMap() }));
  return m;
}

export class Scope {
  readonly vars = new Map<string, TypeRef>();
  constructor(readonly p: Program, readonly fn: FunctionFact) {
    for (const pa of fn.params) if (pa.name) this.vars.set(pa.name, pa.type);
    collectDecls(fn.body, this.vars, 0);
  }
  typeOfName(name: string): TypeRef | null {
    const v = this.vars.get(name);
    if (v) return v;
    const g = this.p.globals.get(name);
    return g ? g[0].type : null;
  }
}

function collectDecls(s: Stmt, into: Map<string, TypeRef>, depth: number): void {
  if (depth > 500) return;
  switch (s.k) {
    case 'decl':
      for (const v of s.vars) if (!into.has(v.name)) into.set(v.name, v.type);
      return;
    case 'block':
      for (const c of s.body) collectDecls(c, into, depth + 1);
      return;
    case 'if':
      collectDecls(s.t, into, depth + 1);
      if (s.f) collectDecls(s.f, into, depth + 1);
      return;
    case 'pp':
      collectDecls(s.t, into, depth + 1);
      if (s.f) collectDecls(s.f, into, depth + 1);
      return;
    case 'while':
    case 'switch':
      collectDecls(s.body, into, depth + 1);
      return;
    case 'for':
      if (s.init) collectDecls(s.init, into, depth + 1);
      collectDecls(s.body, into, depth + 1);
      return;
    default:
  }
}

export function typeOf(sc: Scope, e: Expr, depth = 0): TypeRef | null {
  if (depth > 64) return null;
  switch (e.k) {
    case 'id':
      return sc.typeOfName(e.name);
    case 'field': {
      const bt = typeOf(sc, e.base, depth + 1);
      const s = structOf(sc.p, bt);
      if (!s) return null;
      const f = fieldOf(s, e.name);
      return f ? f.type : null;
    }
    case 'call': {
      if (e.fn.k === 'id') {
        const tam = sc.p.typeArgMacros[e.fn.name];
        if (tam) {
          const a = e.args[tam.typeArg];
          if (a && a.k === 'id') {
            // the normalizer joins a type's words with `_` and turns trailing pointer stars into `_`
            const stars = /[^_]_+$/.test(a.name) && /^(struct|union)_/.test(a.name) ? 1 : 0;
            const base = stars ? a.name.replace(/_+$/, '') : a.name;
            const ptr = (tam.pointer ? 1 : 0) + stars;
            const m = /^(struct|union)_+(\w+)$/.exec(base);
            if (m) return { name: `${m[1]} ${m[2]}`, ptr };
            return { name: base, ptr };
          }
          return null;
        }
        const defs = resolveFunction(sc.p, e.fn.name, sc.fn.file);
        if (defs.length) return defs[0].ret;
      }
      return null;
    }
    case 'cast':
      return e.type;
    case 'unary':
      if (e.op === '&') {
        const t = typeOf(sc, e.e, depth + 1);
        return t ? { ...t, ptr: t.ptr + 1 } : null;
      }
      if (e.op === '*') {
        const t = typeOf(sc, e.e, depth + 1);
        return t ? { ...t, ptr: Math.max(0, t.ptr - 1) } : null;
      }
      return null;
    case 'index': {
      const t = typeOf(sc, e.base, depth + 1);
      if (!t) return null;
      if (t.array) return { name: t.name, ptr: t.ptr };
      return { ...t, ptr: Math.max(0, t.ptr - 1) };
    }
    case 'cond':
      return typeOf(sc, e.t, depth + 1) ?? typeOf(sc, e.f, depth + 1);
    case 'assign':
      return typeOf(sc, e.lhs, depth + 1);
    case 'seq':
      return e.items.length ? typeOf(sc, e.items[e.items.length - 1], depth + 1) : null;
    default:
      return null;
  }
}

/** `struct.member` for a field access, or null when the base's type is unknown. */
export function qualifiedField(sc: Scope, e: FieldExpr): string | null {
  const memo = memoOf(sc.p).fields;
  const known = memo.get(e);
  if (known !== undefined) return known;
  const bt = typeOf(sc, e.base);
  let q: string | null = null;
  const s = structOf(sc.p, bt);
  if (s) q = `${s.name}.${e.name}`;
  memo.set(e, q);
  return q;
}

/** The field an argument names, through casts and an `&` (`(unsigned long *)&vcpu->arch.regs_avail`), or null. */
export function fieldOfArg(sc: Scope, a: Expr | undefined): string | null {
  let x = a;
  while (x && x.k === 'cast') x = x.e;
  if (x && x.k === 'unary' && x.op === '&') x = x.e;
  return x && x.k === 'field' ? qualifiedField(sc, x) : null;
}

export function exprText(e: Expr, depth = 0): string {
  if (depth > 20) return '...';
  switch (e.k) {
    case 'id':
      return e.name;
    case 'field': {
      // `(*vcpu).arch`, `((struct s *)p)->m`: a prefix operator binds looser than `.`
      const base = exprText(e.base, depth + 1);
      const wrap = e.base.k === 'unary' || e.base.k === 'cast';
      return `${wrap ? `(${base})` : base}${e.arrow ? '->' : '.'}${e.name}`;
    }
    case 'cast':
      return `(${e.type.name}${e.type.ptr ? ` ${'*'.repeat(e.type.ptr)}` : ''})${exprText(e.e, depth + 1)}`;
    case 'call':
      return `${exprText(e.fn, depth + 1)}(${e.args.map((x) => exprText(x, depth + 1)).join(', ')})`;
    case 'num':
      return e.text;
    case 'unary':
      return `${e.op}${exprText(e.e, depth + 1)}`;
    case 'index':
      return `${exprText(e.base, depth + 1)}[${exprText(e.index, depth + 1)}]`;
    default:
      return '...';
  }
}

export function resolveCall(sc: Scope, call: CallExpr): CallInfo {
  const memo = memoOf(sc.p).calls;
  let info = memo.get(call);
  if (!info) memo.set(call, (info = computeCall(sc, call)));
  return info;
}

function condOf(f: FunctionFact): Partial<Target> {
  const c = defCond(f.file, f.cond);
  return c ? { cond: c } : {};
}

function notCallable(p: Program, t: TypeRef): boolean {
  const c = canonicalType(p, t);
  if (c.ptr > 0 || c.fn || c.array) return false;
  if (/^(struct|union|enum) /.test(c.name)) return true;
  return c.name.split(/\s+/).every((w) => p.scalarTypes.has(w));
}

/** `FNAME(x)`: a macro that pastes tokens makes a name, not a pointer. */
function pastesName(p: Program, name: string): boolean {
  const m = p.macros.get(name);
  return !!m && m.body.includes('##');
}

function computeCall(sc: Scope, call: CallExpr): CallInfo {
  const p = sc.p;
  const fn = call.fn;
  if (fn.k === 'id') {
    const name = fn.name;
    const v = sc.vars.get(name);
    if (v && !p.functions.has(name)) {
      // the preprocessor expands a function-like macro whatever variable
      // shares its name (`u32 min` beside `min(a, b)`), and a scalar cannot
      // be called: only a pointer is a call through a variable
      if (p.macros.has(name)) return { targets: macroTargets(p, name, sc.fn.file, 0), indirect: false, text: name, name };
      if (notCallable(p, v)) return { targets: [], indirect: false, text: name, name };
      return { targets: [], indirect: true, why: 'call through a function pointer variable', text: name, name };
    }
    const defs = resolveFunction(p, name, sc.fn.file);
    if (defs.length && call.cleanup) {
      return { targets: defs.map((d) => ({ fn: d, kind: 'cleanup', via: call.cleanup, ...condOf(d) })), indirect: false, text: name, name };
    }
    if (defs.length) return { targets: defs.map((d) => ({ fn: d, kind: 'direct', ...condOf(d) })), indirect: false, text: name, name };
    const m = p.macros.get(name);
    if (m) return { targets: macroTargets(p, name, sc.fn.file, 0), indirect: false, text: name, name };
    return { targets: [], indirect: false, text: name, name };
  }
  if (fn.k === 'call' && fn.fn.k === 'id' && p.opsMacros.has(fn.fn.name)) {
    const macro = fn.fn.name;
    const arg = fn.args[0];
    const text = `${macro}(${arg ? exprText(arg) : ''})`;
    if (!arg || arg.k !== 'id') return { targets: [], indirect: true, why: 'ops macro without a plain member name', text };
    const cfg = p.opsMacros.get(macro)!.find((c) => arg.name.startsWith(c.keyPrefix));
    if (!cfg) return { targets: [], indirect: true, why: `no ops table is configured for ${arg.name}`, text };
    const member = arg.name.slice(cfg.keyPrefix.length);
    return opsTargets(p, cfg.struct, member, null, text);
  }
  if (fn.k === 'call' && fn.fn.k === 'id' && (!p.functions.has(fn.fn.name) || pastesName(p, fn.fn.name))) {
    // `guard(mutex)(&lock)`, `FNAME(walk_addr)(...)`: the callee's name is made
    // by the preprocessor, not loaded from a pointer
    return { targets: [], indirect: false, text: exprText(fn), name: fn.fn.name };
  }
  if (fn.k === 'field') {
    const text = exprText(fn);
    const bt = typeOf(sc, fn.base);
    const s = structOf(p, bt);
    if (!s) return { targets: [], indirect: true, why: 'type of the base expression is unknown', text };
    // a call through one named table reaches only that table
    let only: string | null = null;
    if (fn.base.k === 'id' && p.tablesByName.has(fn.base.name)) only = fn.base.name;
    return opsTargets(p, s.name, fn.name, only, text);
  }
  if (fn.k === 'unary' && fn.op === '*' && fn.e.k === 'field') {
    return computeCall(sc, { ...call, fn: fn.e });
  }
  if (fn.k === 'str' || fn.k === 'seq' || fn.k === 'num') {
    // asm statements and unparsed macro soup come out as calls of non-names
    return { targets: [], indirect: false, text: exprText(fn) };
  }
  return { targets: [], indirect: true, why: 'call through a computed function pointer', text: exprText(fn) };
}

function opsTargets(p: Program, struct: string, member: string, only: string | null, text: string): CallInfo {
  const hook = `${struct}.${member}`;
  const impls = (p.hookImpls.get(hook) ?? []).filter((i) => !only || i.table.name === only);
  const targets: Target[] = [];
  for (const i of impls) {
    for (const d of resolveFunction(p, i.fn, i.from ?? i.table.file)) {
      // a member set on one #if side holds under that side and the definition's own condition both
      const own = defCond(d.file, d.cond);
      const cond = i.cond ? (own && own !== i.cond ? `${own} && ${i.cond}` : i.cond) : own || defCond(i.table.file, i.table.cond);
      targets.push({ fn: d, kind: 'ops', via: `${i.table.name}.${member}`, ...(cond ? { cond } : {}) });
    }
  }
  if (targets.length) return { targets, indirect: true, text, hook };
  const s = p.structs.get(struct);
  let why: string;
  if (!p.tablesByType.has(struct)) why = `no table of struct ${struct} in the tree`;
  else if (s && !fieldOf(s, member)) why = `struct ${struct} has no member ${member}`;
  else why = `no table in the tree sets ${struct}.${member}`;
  return { targets: [], indirect: true, why, text, hook };
}

const macroNames = new WeakMap<Program, Map<string, string[]>>();

/** `name` and, when it is a macro, every name its expansion calls (as macroTargets follows them). */
export function calledNames(p: Program, name: string): string[] {
  if (!p.macros.has(name)) return [name];
  let memo = macroNames.get(p);
  if (!memo) macroNames.set(p, (memo = new Map()));
  let out = memo.get(name);
  if (out) return out;
  const seen = new Set<string>([name]);
  const walk = (n: string, depth: number) => {
    const m = p.macros.get(n);
    if (!m || depth > 4) return;
    for (const c of m.calls) {
      if (c.includes('##') || seen.has(c)) continue;
      seen.add(c);
      walk(c, depth + 1);
    }
  };
  walk(name, 0);
  out = [...seen];
  memo.set(name, out);
  return out;
}

function macroTargets(p: Program, name: string, fromFile: string, depth: number): Target[] {
  const m = p.macros.get(name);
  if (!m || depth > 4) return [];
  const out: Target[] = [];
  for (const c of m.calls) {
    if (c.includes('##')) continue;
    const defs = resolveFunction(p, c, fromFile);
    if (defs.length) {
      for (const d of defs) out.push({ fn: d, kind: 'macro', via: name, ...condOf(d) });
    } else if (c !== name) {
      for (const t of macroTargets(p, c, fromFile, depth + 1)) out.push({ ...t, via: name });
    }
  }
  return out;
}

// ---- whole-graph views -------------------------------------------------------

export interface CallSite {
  call: CallExpr;
  info: CallInfo;
  line: number;
  /** #if conditions the call sits under inside the caller */
  cond: string;
}

/** Every call in a function body, in source order. */
export function callSites(p: Program, fn: FunctionFact): CallSite[] {
  const sc = scopeOf(p, fn);
  const out: CallSite[] = [];
  walkStmt(fn.body, [], (e, cond) => {
    if (e.k === 'call') out.push({ call: e, info: resolveCall(sc, e), line: e.line, cond: cond.join(' && ') });
  });
  return out;
}

const scopes = new WeakMap<FunctionFact, Scope>();
export function scopeOf(p: Program, fn: FunctionFact): Scope {
  let s = scopes.get(fn);
  if (!s || s.p !== p) {
    s = new Scope(p, fn);
    scopes.set(fn, s);
  }
  return s;
}

export interface IndirectStats {
  found: number;
  resolved: number;
  unresolved: { file: string; line: number; expr: string; why: string; function: string }[];
  /** counts by the form of the call: macro name, or `field` */
  byForm: Record<string, { found: number; resolved: number }>;
}

export function indirectStats(p: Program): IndirectStats {
  const st: IndirectStats = { found: 0, resolved: 0, unresolved: [], byForm: {} };
  for (const f of p.files) {
    for (const fn of f.functions) {
      for (const cs of callSites(p, fn)) {
        if (!cs.info.indirect) continue;
        st.found++;
        const form = cs.call.fn.k === 'call' && cs.call.fn.fn.k === 'id' ? cs.call.fn.fn.name : cs.call.fn.k;
        const b = (st.byForm[form] ??= { found: 0, resolved: 0 });
        b.found++;
        if (cs.info.targets.length) {
          st.resolved++;
          b.resolved++;
        } else {
          st.unresolved.push({ file: fn.file, line: cs.line, expr: cs.info.text, why: cs.info.why ?? 'unknown', function: fn.name });
        }
      }
    }
  }
  st.unresolved.sort((a, b) => cmp(a.file, b.file) || a.line - b.line || cmp(a.expr, b.expr));
  return st;
}

export { structName, canonicalType };

/**
 * The program with its hooks linked: initializers, plus `table.member = fn`
 * and `ptr->member = fn` assignments anywhere in the tree (KVM's MMU sets its
 * hooks that way, and vendor setup patches tables at run time).
 */
export function makeProgram(tree: TreeFacts, pack: Pack): Program {
  const p = buildProgram(tree, pack);
  const runtime = new Map<string, TableFact>();
  for (const f of p.files) {
    for (const fn of f.functions) {
      // the body is read only when it stores a function's name: over a whole kernel, bodies are on disk
      if (!fn.storedNames.some((n) => p.functions.has(n))) continue;
      walkStmt(fn.body, [], (e) => {
        if (e.k !== 'assign' || e.op !== '=' || e.lhs.k !== 'field' || e.rhs.k !== 'id') return;
        const value = e.rhs.name;
        const sc = scopeOf(p, fn);
        if (sc.vars.has(value) || !p.functions.has(value)) return;
        const member = e.lhs.name;
        const base = e.lhs.base;
        const named = base.k === 'id' && !e.lhs.arrow ? p.tablesByName.get(base.name) : undefined;
        if (named) {
          // a table patched at run time (vendor hardware_setup()) can hold
          // either function: the initializer's stays an implementation too
          for (const t of named) {
            if (t.members[member] === undefined) {
              t.members[member] = value;
              t.memberLines[member] = e.line;
            }
            addImpl(p, `${structName(t.type)}.${member}`, t, value, fn.file);
          }
          return;
        }
        const s = structOf(p, typeOf(sc, base));
        if (!s) return;
        const key = `${s.name}@${fn.file}:${fn.name}`;
        let t = runtime.get(key);
        if (!t) {
          t = { name: `${fn.name}()`, type: `struct ${s.name}`, file: fn.file, line: fn.line, isStatic: true, cond: '', members: {}, memberLines: {} };
          runtime.set(key, t);
          const l = p.tablesByType.get(s.name);
          if (l) l.push(t);
          else p.tablesByType.set(s.name, [t]);
        }
        if (t.members[member] === value) return;
        if (t.members[member] === undefined) {
          t.members[member] = value;
          t.memberLines[member] = e.line;
        }
        addImpl(p, `${s.name}.${member}`, t, value);
      });
    }
  }
  for (const list of p.hookImpls.values()) list.sort((a, b) => cmp(a.table.name, b.table.name) || cmp(a.fn, b.fn));
  return p;
}

/** `from`: the file that stored the name, whose statics it may name (`vt_x86_ops.x = tdx_x` in tdx.c) */
function addImpl(p: Program, hook: string, table: TableFact, fn: string, from = table.file): void {
  const l = p.hookImpls.get(hook);
  const item: HookImpl = from === table.file ? { table, fn } : { table, fn, from };
  if (!l) p.hookImpls.set(hook, [item]);
  else if (!l.some((x) => x.table === table && x.fn === fn)) l.push(item);
}
