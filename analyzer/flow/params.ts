// Which parameters' constant values can change what the engine finds in a
// function. A constant argument matters only if it reaches a condition, a
// return value, a stored field value, a bit operation, a call a rule
// watches, or a parameter of a callee where it matters in turn. The others
// are dropped from the summary key, so `get_segment(vcpu, var, SEG_CS)` and
// `get_segment(vcpu, var, SEG_SS)` share one analysis.

import type { Expr, FunctionFact, Stmt } from '../parse/ir';
import type { Program } from '../program/program';
import { resolveCall, scopeOf, type CallInfo } from '../program/callgraph';
import { walkExpr } from '../program/walk';

export interface ParamContext {
  /** calls the engine interprets itself (bit operations, memset-likes): their arguments always matter */
  builtin(name: string): boolean;
  /** a call some rule watches: its arguments may be read by the rule */
  watched(info: CallInfo): boolean;
}

/**
 * What a body does with its parameters, whatever the rules: which reach a
 * condition, a return or a stored field (`base`; all of them when a
 * statement expression hides its conditions), and which reach each call's
 * arguments. Computed once per function and program.
 */
interface Scan {
  base: boolean[];
  calls: { info: CallInfo; srcs: Set<number>[] }[];
}

const scans = new WeakMap<Program, Map<FunctionFact, Scan>>();

export class ParamRelevance {
  private memo = new Map<FunctionFact, boolean[]>();
  private inProgress = new Set<FunctionFact>();

  constructor(private p: Program, private cx: ParamContext) {}

  of(fn: FunctionFact): boolean[] {
    const known = this.memo.get(fn);
    if (known) return known;
    // a recursive cycle: assume every parameter matters
    if (this.inProgress.has(fn)) return fn.params.map(() => true);
    this.inProgress.add(fn);
    const r = this.compute(fn);
    this.inProgress.delete(fn);
    this.memo.set(fn, r);
    return r;
  }

  private compute(fn: FunctionFact): boolean[] {
    const sc = this.scan(fn);
    const relevant = sc.base.slice();
    const mark = (s: Set<number>) => s.forEach((i) => (relevant[i] = true));
    for (const c of sc.calls) {
      const { info, srcs } = c;
      // a call that can mark no parameter not yet marked cannot change the answer: its callees are not
      // read for it (most of KVM's calls pass on `vcpu`, which a condition made relevant already)
      if (srcs.every((s) => { for (const i of s) if (!relevant[i]) return false; return true; })) continue;
      if ((info.name && this.cx.builtin(info.name)) || this.cx.watched(info)) {
        srcs.forEach(mark);
        continue;
      }
      for (const t of info.targets) {
        // a macro body is entered without arguments
        if (t.kind === 'macro') continue;
        const rel = this.of(t.fn);
        // arguments past the declared parameters (variadic) go nowhere the engine follows
        srcs.forEach((s, i) => rel[i] && mark(s));
      }
    }
    return relevant;
  }

  private scan(fn: FunctionFact): Scan {
    let m = scans.get(this.p);
    if (!m) scans.set(this.p, (m = new Map()));
    let s = m.get(fn);
    if (!s) m.set(fn, (s = scanOf(this.p, fn)));
    return s;
  }
}

function scanOf(p: Program, fn: FunctionFact): Scan {
  const index = new Map<string, number>();
  fn.params.forEach((pa, i) => pa.name && index.set(pa.name, i));
  const relevant = fn.params.map(() => false);
  if (!index.size) return { base: relevant, calls: [] };
  // which parameters flow into each local, flow-insensitively
  const flows = new Map<string, Set<number>>();
  for (const [n, i] of index) flows.set(n, new Set([i]));
  const from = (e: Expr | undefined): Set<number> => {
    const out = new Set<number>();
    if (!e) return out;
    walkExpr(e, [], (x) => {
      if (x.k === 'id') for (const i of flows.get(x.name) ?? []) out.add(i);
    });
    return out;
  };
  const assigns: { name: string; e: Expr }[] = [];
  const conds: Expr[] = [];
  const returns: Expr[] = [];
  const fieldStores: Expr[] = [];
  const calls: Extract<Expr, { k: 'call' }>[] = [];
  let opaque = false;
  const onExpr = (e: Expr) =>
    walkExpr(e, [], (x) => {
      if (x.k === 'stmt') opaque = true;
      if (x.k === 'assign') {
        if (x.lhs.k === 'id') assigns.push({ name: x.lhs.name, e: x.rhs });
        else fieldStores.push(x.rhs);
      } else if (x.k === 'call') calls.push(x);
      else if (x.k === 'cond') conds.push(x.c);
      else if (x.k === 'binary' && (x.op === '&&' || x.op === '||')) conds.push(x);
    });
  const visit = (s: Stmt | undefined, depth = 0): void => {
    if (!s || depth > 600) return;
    const d = depth + 1;
    switch (s.k) {
      case 'block':
        for (const c of s.body) visit(c, d);
        return;
      case 'expr':
        onExpr(s.e);
        return;
      case 'decl':
        for (const v of s.vars) {
          if (!v.init) continue;
          assigns.push({ name: v.name, e: v.init });
          onExpr(v.init);
        }
        return;
      case 'if':
        conds.push(s.c);
        onExpr(s.c);
        visit(s.t, d);
        visit(s.f, d);
        return;
      case 'while':
        conds.push(s.c);
        onExpr(s.c);
        visit(s.body, d);
        return;
      case 'for':
        visit(s.init, d);
        if (s.c) {
          conds.push(s.c);
          onExpr(s.c);
        }
        if (s.step) onExpr(s.step);
        visit(s.body, d);
        return;
      case 'switch':
        conds.push(s.e);
        onExpr(s.e);
        visit(s.body, d);
        return;
      case 'return':
        if (s.e) {
          returns.push(s.e);
          onExpr(s.e);
        }
        return;
      case 'pp':
        visit(s.t, d);
        visit(s.f, d);
        return;
      default:
    }
  };
  visit(fn.body);
  // a statement expression hides conditions from this scan: keep every constant
  if (opaque) return { base: fn.params.map(() => true), calls: [] };
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const a of assigns) {
      const src = from(a.e);
      if (!src.size) continue;
      let set = flows.get(a.name);
      if (!set) flows.set(a.name, (set = new Set()));
      for (const i of src) if (!set.has(i)) { set.add(i); changed = true; }
    }
  }
  const mark = (s: Set<number>) => s.forEach((i) => (relevant[i] = true));
  for (const e of [...conds, ...returns, ...fieldStores]) mark(from(e));
  const sc = scopeOf(p, fn);
  const out: Scan['calls'] = [];
  for (const c of calls) {
    const srcs = c.args.map((a) => from(a));
    if (srcs.some((x) => x.size)) out.push({ info: resolveCall(sc, c), srcs });
  }
  return { base: relevant, calls: out };
}
