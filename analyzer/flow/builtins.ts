// The C primitives the engine understands instead of following them, named
// by the pack's engine config: bit tests, sets and clears (and functions
// whose whole body is a bit test), whole-bitmap fills, memset/memcpy-style
// writers and copiers, and calls that do not return.

import type { Expr, FunctionFact } from '../parse/ir';
import type { Program } from '../program/program';
import { fieldOfArg, resolveCall, scopeOf, type Scope } from '../program/callgraph';
import type { EngineConfig } from '../pack/load';
import { testBit, type State } from './state';
import type { CallEvent, RuleHooks, Site, Val } from './hooks';
import { symOf } from './values';

/** What a primitive needs of the run it is in. */
export interface BuiltinEnv {
  /** the hooks on the path now (some sit out a callee: Engine's muted) */
  hooks(): readonly RuleHooks[];
  /** a field of a zero-allocated struct that nothing has written yet */
  isFresh(q: string, st: State): boolean;
  /** whether the field's value is tracked (a write of unknown value must forget it) */
  tracksValue(q: string, st: State): boolean;
}

/** Every primitive's name: their arguments' constants matter (ParamRelevance). */
export function builtinNames(config: EngineConfig): Set<string> {
  const b = config.bitOps;
  return new Set([...b.test, ...b.set, ...b.clear, ...(b.fill ?? []), ...(b.zero ?? []), ...config.memWriters, ...config.memCopiers]);
}

export class Builtins {
  private bitOps: { test: Set<string>; set: Set<string>; clear: Set<string>; fill: Set<string>; zero: Set<string> };
  private memWriters: Set<string>;
  private memCopiers: Set<string>;
  private noReturns: Set<string>;
  private wrappers = new Map<FunctionFact, { q: string; param: number } | null>();

  constructor(private p: Program, config: EngineConfig, private env: BuiltinEnv) {
    const b = config.bitOps;
    this.bitOps = { test: new Set(b.test), set: new Set(b.set), clear: new Set(b.clear), fill: new Set(b.fill), zero: new Set(b.zero) };
    this.memWriters = new Set(config.memWriters);
    this.memCopiers = new Set(config.memCopiers);
    this.noReturns = new Set(config.noReturn);
  }

  /** A call after which the path does not go on (`BUG()`). */
  noReturn(fname: string | undefined): boolean {
    return !!fname && this.noReturns.has(fname);
  }

  /**
   * A call of a primitive, its arguments evaluated into `vals`: its effect
   * on `cur` told to the hooks, and its value. null: `fname` is no
   * primitive, the call is followed as any other.
   */
  call(fname: string | undefined, e: Extract<Expr, { k: 'call' }>, vals: Val[], cur: State, sc: Scope, at: Site, ev: CallEvent): { state: State; val: Val } | null {
    if (!fname) return null;
    const hooks = this.env.hooks();
    if (this.bitOps.test.has(fname)) {
      const q = fieldOfArg(sc, e.args[1]);
      const bit = symOf(vals[0]);
      const bits = q ? cur.bits.get(q) ?? (this.env.isFresh(q, cur) ? { all: 0 as const, set: [], clear: [] } : undefined) : undefined;
      const v = q ? testBit(bits, bit) : null;
      if (q) for (const h of hooks) h.onRead?.(q, cur, at);
      return { state: cur, val: v === null ? undefined : v };
    }
    if (this.bitOps.set.has(fname) || this.bitOps.clear.has(fname)) {
      const q = fieldOfArg(sc, e.args[1]);
      if (q) {
        this.setBit(cur, q, symOf(vals[0]), this.bitOps.set.has(fname));
        for (const h of hooks) h.onWrite?.(q, cur, at, 'compound');
        if (this.env.tracksValue(q, cur)) cur.setVal(q, null);
      }
      for (const h of hooks) h.onCall?.(ev, cur, at);
      return { state: cur, val: undefined };
    }
    if (this.bitOps.fill.has(fname) || this.bitOps.zero.has(fname)) {
      // the whole bitmap written at once: what `map = ~0` or `map = 0` tells, through the same hooks
      const q = fieldOfArg(sc, e.args[0]);
      if (q) {
        for (const h of hooks) h.onWrite?.(q, cur, at, 'assign');
        if (this.env.tracksValue(q, cur)) cur.setVal(q, null);
        cur.setBits(q, { all: this.bitOps.fill.has(fname) ? 1 : 0, set: [], clear: [] });
      }
      return { state: cur, val: undefined };
    }
    if (this.memWriters.has(fname) || this.memCopiers.has(fname)) {
      if (this.memCopiers.has(fname) && e.args[1]) {
        const src = fieldOfArg(sc, e.args[1]);
        if (src) for (const h of hooks) h.onRead?.(src, cur, at);
      }
      this.fillTarget(e.args[0], cur, sc, at);
      return { state: cur, val: undefined };
    }
    return null;
  }

  /** Record that bit `bit` of `q` is now set (or clear); an unknown bit makes the whole field unknown. */
  setBit(st: State, q: string, bit: string | null, setting: boolean): void {
    if (bit === null) {
      st.setBits(q, undefined);
      return;
    }
    const old = st.bits.get(q);
    const base = old ?? (this.env.isFresh(q, st) ? { all: 0 as const, set: [], clear: [] } : { all: null, set: [], clear: [] });
    const b = { all: base.all, set: base.set.filter((x) => x !== bit), clear: base.clear.filter((x) => x !== bit) };
    (setting ? b.set : b.clear).push(bit);
    st.setBits(q, b);
  }

  /**
   * The field and bit a condition tests, when it is a bit test or a call of
   * a function whose whole body returns one on a parameter
   * (`return test_bit(reg, &x->flags);`): each side of the branch then knows
   * the bit. `constOf`: the value of an argument on this path.
   */
  bitTestOf(e: Expr, sc: Scope, constOf: (a: Expr) => Val): { q: string; bit: string } | null {
    while (e.k === 'cast') e = e.e;
    if (e.k !== 'call') return null;
    const info = resolveCall(sc, e);
    if (info.name && this.bitOps.test.has(info.name)) {
      const q = fieldOfArg(sc, e.args[1]);
      const bit = symOf(constOf(e.args[0]));
      return q && bit !== null ? { q, bit } : null;
    }
    if (info.targets.length !== 1) return null;
    const w = this.bitTestWrapper(info.targets[0].fn);
    if (!w) return null;
    const bit = symOf(constOf(e.args[w.param] ?? { k: 'str' } as Expr));
    return bit !== null ? { q: w.q, bit } : null;
  }

  private bitTestWrapper(fn: FunctionFact): { q: string; param: number } | null {
    if (this.wrappers.has(fn)) return this.wrappers.get(fn)!;
    let found: { q: string; param: number } | null = null;
    const body = fn.body.k === 'block' ? fn.body.body.filter((x) => x.k !== 'empty') : [fn.body];
    if (body.length === 1 && body[0].k === 'return' && body[0].e) {
      let r = body[0].e;
      while (r.k === 'cast') r = r.e;
      const a0 = r.k === 'call' ? r.args[0] : undefined;
      if (r.k === 'call' && r.fn.k === 'id' && this.bitOps.test.has(r.fn.name) && a0?.k === 'id') {
        const param = fn.params.findIndex((pa) => pa.name === a0.name);
        const q = fieldOfArg(scopeOf(this.p, fn), r.args[1]);
        if (param >= 0 && q) found = { q, param };
      }
    }
    this.wrappers.set(fn, found);
    return found;
  }

  private fillTarget(a: Expr | undefined, st: State, sc: Scope, at: Site): void {
    const q = fieldOfArg(sc, a);
    if (!q) return;
    for (const h of this.env.hooks()) h.onWrite?.(q, st, at, 'fill');
    if (this.env.tracksValue(q, st)) st.setVal(q, null);
  }
}
