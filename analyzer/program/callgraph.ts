// Call-site resolution: direct calls, calls through function-like macros,
// and indirect calls through tables of function pointers. Indirect calls are
// resolved by type and member, never by name: `x->hook(...)` where x is a
// `struct S *` reaches every `S` table in the tree that sets `.hook`.

import type { Expr, FunctionFact, Stmt, TypeRef } from '../parse/ir';
import { Program, resolveFunction, structOf, fieldOf, structName, canonicalType, cmp } from './program';

export type EdgeKind = 'direct' | 'macro' | 'ops';

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

/** Annotations the resolver leaves on IR nodes, computed once per function. */
interface Annotated {
  __call?: CallInfo;
  __q?: string | null;
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
            const m = /^(struct|union)_+(\w+)$/.exec(a.name);
            if (m) return { name: `${m[1]} ${m[2]}`, ptr: tam.pointer ? 1 : 0 };
            return { name: a.name, ptr: tam.pointer ? 1 : 0 };
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
  const a = e as unknown as Annotated;
  if (a.__q !== undefined) return a.__q;
  const bt = typeOf(sc, e.base);
  let q: string | null = null;
  const s = structOf(sc.p, bt);
  if (s) q = `${s.name}.${e.name}`;
  a.__q = q;
  return q;
}

export function exprText(e: Expr, depth = 0): string {
  if (depth > 20) return '...';
  switch (e.k) {
    case 'id':
      return e.name;
    case 'field':
      return `${exprText(e.base, depth + 1)}${e.arrow ? '->' : '.'}${e.name}`;
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
  const a = call as unknown as Annotated;
  if (a.__call) return a.__call;
  const info = computeCall(sc, call);
  a.__call = info;
  return info;
}

function condOf(f: FunctionFact): Partial<Target> {
  return f.cond ? { cond: f.cond } : {};
}

function computeCall(sc: Scope, call: CallExpr): CallInfo {
  const p = sc.p;
  const fn = call.fn;
  if (fn.k === 'id') {
    const name = fn.name;
    if (sc.vars.has(name) && !p.functions.has(name)) {
      return { targets: [], indirect: true, why: 'call through a function pointer variable', text: name, name };
    }
    const defs = resolveFunction(p, name, sc.fn.file);
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
  return { targets: [], indirect: true, why: 'call through a computed function pointer', text: exprText(fn) };
}

function opsTargets(p: Program, struct: string, member: string, only: string | null, text: string): CallInfo {
  const hook = `${struct}.${member}`;
  const impls = (p.hookImpls.get(hook) ?? []).filter((i) => !only || i.table.name === only);
  const targets: Target[] = [];
  for (const i of impls) {
    for (const d of resolveFunction(p, i.fn, i.table.file)) {
      targets.push({ fn: d, kind: 'ops', via: `${i.table.name}.${member}`, ...(d.cond || i.table.cond ? { cond: d.cond || i.table.cond } : {}) });
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

type Visit = (e: Expr, cond: string[]) => void;

export function walkStmt(s: Stmt, cond: string[], v: Visit, depth = 0): void {
  if (depth > 600) return;
  const d = depth + 1;
  switch (s.k) {
    case 'block':
      for (const c of s.body) walkStmt(c, cond, v, d);
      return;
    case 'expr':
      walkExpr(s.e, cond, v, d);
      return;
    case 'decl':
      for (const x of s.vars) if (x.init) walkExpr(x.init, cond, v, d);
      return;
    case 'if':
      walkExpr(s.c, cond, v, d);
      walkStmt(s.t, cond, v, d);
      if (s.f) walkStmt(s.f, cond, v, d);
      return;
    case 'while':
      walkExpr(s.c, cond, v, d);
      walkStmt(s.body, cond, v, d);
      return;
    case 'for':
      if (s.init) walkStmt(s.init, cond, v, d);
      if (s.c) walkExpr(s.c, cond, v, d);
      walkStmt(s.body, cond, v, d);
      if (s.step) walkExpr(s.step, cond, v, d);
      return;
    case 'switch':
      walkExpr(s.e, cond, v, d);
      walkStmt(s.body, cond, v, d);
      return;
    case 'case':
      if (s.value) walkExpr(s.value, cond, v, d);
      return;
    case 'return':
      if (s.e) walkExpr(s.e, cond, v, d);
      return;
    case 'pp':
      walkStmt(s.t, [...cond, s.cond], v, d);
      if (s.f) walkStmt(s.f, [...cond, `!(${s.cond})`], v, d);
      return;
    default:
  }
}

export function walkExpr(e: Expr, cond: string[], v: Visit, depth = 0): void {
  if (depth > 600) return;
  const d = depth + 1;
  switch (e.k) {
    case 'call':
      walkExpr(e.fn, cond, v, d);
      for (const a of e.args) walkExpr(a, cond, v, d);
      v(e, cond);
      return;
    case 'field':
      walkExpr(e.base, cond, v, d);
      v(e, cond);
      return;
    case 'index':
      walkExpr(e.base, cond, v, d);
      walkExpr(e.index, cond, v, d);
      return;
    case 'assign':
      walkExpr(e.rhs, cond, v, d);
      walkExpr(e.lhs, cond, v, d);
      return;
    case 'update':
    case 'unary':
    case 'cast':
      walkExpr(e.e, cond, v, d);
      return;
    case 'binary':
      walkExpr(e.l, cond, v, d);
      walkExpr(e.r, cond, v, d);
      return;
    case 'cond':
      walkExpr(e.c, cond, v, d);
      walkExpr(e.t, cond, v, d);
      walkExpr(e.f, cond, v, d);
      return;
    case 'seq':
      for (const x of e.items) walkExpr(x, cond, v, d);
      return;
    case 'stmt':
      walkStmt(e.body, cond, v, d);
      return;
    default:
      v(e, cond);
  }
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
