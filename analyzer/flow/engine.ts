// The ordering engine: abstract interpretation of function bodies in
// statement order from an entry point, through every resolved call (ops
// calls reach each implementation), with constants flowing into callees and
// back out as return values so that `if (init_event)` and
// `if (!kvm_register_is_available(...))`-style branches are pruned when their
// outcome is known. Each function is summarised per distinct input (state,
// constant arguments), which also bounds recursion.
//
// The engine knows nothing of KVM: rules observe reads, writes, calls,
// branches and returns through RuleHooks (hooks.ts, confined to the events
// each declares by events.ts) and keep their own facts in State, each rule
// under keys of its own (facts.ts). Its parts: summaries.ts (callee
// summaries and their keys), deps.ts (what a run walked, for reuse),
// builtins.ts (C primitives), vendor.ts (one vendor and build per path),
// values.ts and paths.ts (constants, and what a statement hands on).

import type { Expr, FunctionFact, Stmt } from '../parse/ir';
import type { Program } from '../program/program';
import { resolveCall, calledNames, scopeOf, qualifiedField, exprText, type Scope } from '../program/callgraph';
import { flattenCases, switchCases } from '../program/walk';
import type { EngineConfig } from '../pack/load';
import { State, merge, mergeAll, testBit, project, applyProjected } from './state';
import { Footprints } from './footprint';
import { ParamRelevance } from './params';
import type { Val, Frame, Site, Decided, RuleHooks, CallEvent } from './hooks';
import { RunSummaries, type SharedSummaries, frameKey, sharedKey, freshKey, type FrameResult, type RetSplit } from './summaries';
import { Deps } from './deps';
import { VendorFilter, GROUP_KEY } from './vendor';
import { Builtins, builtinNames } from './builtins';
import { callWatched } from './events';
import { NEG, toVal, COMPARE, binop } from './values';
import { emptyFlow, joinRet, absorb, joinFlows, splitBy, type Flow } from './paths';

/**
 * An expression's state and value; `outcomes`, for a call whose callee
 * returns 0, an error and other values on different paths: the state on
 * each, with the value (0, NEG or unknown), for a test of it to pick from.
 */
interface ExprResult {
  state: State | null;
  val: Val;
  outcomes?: { state: State; val: Val }[];
}

const MAX_DEPTH = 28;
const MAX_STEPS = 2_000_000;
/** hooks of one run held as bits of a number (blindMask): past this many, the rest are never blind */
const MAX_MASKED = 30;

export interface EngineOptions {
  hooks: RuleHooks[];
  config: EngineConfig;
  /** tables that belong together (one vendor's); a path stays within one group */
  tableGroups?: string[][];
  /** run with only this group's tables (one vendor's build of the module) */
  group?: number;
  /**
   * configuration symbols this run assumes (`CONFIG_KVM_INTEL_TDX` on or
   * off): an ops target whose `#if` side says otherwise is not taken, so a
   * path never goes through one build's table member and then another's
   */
  assume?: ReadonlyMap<string, boolean>;
  /** structs zero-allocated at the entry: their unwritten fields read as 0 */
  freshStructs?: Set<string>;
  /** shared between engines over the same program: footprints do not depend on rules */
  footprints?: Footprints;
  /** shared between the runs of one set of hooks (paramsFor) */
  params?: ParamRelevance;
  /** shared between engines over the same program and engine config */
  shared?: SharedSummaries;
  /** frames deep at most (MAX_DEPTH by default): an observer that sees every call (infer) walks less far */
  maxDepth?: number;
  /**
   * switches the run enters only at these labels (indices among the switch's
   * labels, switchCases order), and the functions that hold them: a role's
   * unit runs its dispatchers with only the cases that reach its handler
   */
  pins?: { switches: ReadonlyMap<Stmt, ReadonlySet<number>>; fns: ReadonlySet<FunctionFact> };
}

export class Engine {
  private summaries = new RunSummaries();
  /** a hook's events depend on the stack (Watch.stack): summaries are keyed on it */
  private readonly byStack: boolean;
  private active = new Set<FunctionFact>();
  private stack: Frame[] = [];
  /** the stack as sites hand it out, until it changes */
  private frozen: readonly Frame[] | null = null;
  private steps = 0;
  /** set when the step budget ran out: results are partial */
  exhausted = false;
  /** what a change must leave alone for this run's result to stand (Deps) */
  private deps = new Deps();
  get walked(): ReadonlySet<FunctionFact> {
    return this.deps.walked;
  }

  get called(): ReadonlySet<string> {
    return this.deps.called;
  }

  private builtins: Builtins;

  private vendor: VendorFilter;
  private footprints: Footprints;
  private params: ParamRelevance;

  constructor(private p: Program, private opts: EngineOptions) {
    this.vendor = new VendorFilter(opts.tableGroups, opts.group, opts.assume);
    this.footprints = opts.footprints ?? new Footprints(p);
    this.params = opts.params ?? Engine.paramsFor(p, opts.hooks, opts.config);
    this.sharedPrefix = freshKey(opts.freshStructs);
    this.byStack = opts.hooks.some((h) => h.watch.stack);
    this.builtins = new Builtins(p, opts.config, {
      hooks: () => this.hooks(),
      isFresh: (q, st) => this.isFresh(q, st),
      tracksValue: (q, st) => this.tracksValue(q, st),
    });
  }

  /**
   * Which constants matter, for these hooks: it depends on what they watch,
   * not on the vendor or the entry, so every run of one set of hooks can
   * share it.
   */
  static paramsFor(p: Program, hooks: RuleHooks[], config: EngineConfig): ParamRelevance {
    const builtin = builtinNames(config);
    return new ParamRelevance(p, {
      builtin: (n) => builtin.has(n),
      watched: (info) => hooks.some((h) => callWatched(h.watch, info)),
    });
  }

  /** Analyse `fn` as an entry with the given constant arguments. */
  run(fn: FunctionFact, args: Record<string, number | boolean | string>, init: State): State | null {
    const vals: Val[] = fn.params.map((pa) => toVal(args[pa.name]));
    this.stack = [];
    this.frozen = null;
    this.deps.walked.add(fn);
    const r = this.callFunction(fn, vals, init, 0, undefined);
    this.deps.flush();
    for (const h of this.hooks()) h.onRunEnd?.();
    return r.state;
  }

  /**
   * Values are tracked where they are known to start at zero, and where a
   * path stores a constant (`msr.index = MSR_IA32_XSS` before the ops call
   * that switches on it); elsewhere they would only split summaries.
   */
  private tracksValue(q: string, st: State): boolean {
    const fs = this.opts.freshStructs;
    return (!!fs && fs.has(q.slice(0, q.indexOf('.')))) || st.vals.has(q);
  }

  /** A field whose unknown value (null) reads as no entry: one not zero-allocated, where absent would mean 0. */
  private unknownIsAbsent = (q: string): boolean => {
    const fs = this.opts.freshStructs;
    return !fs || !fs.size || !fs.has(q.slice(0, q.indexOf('.')));
  };

  /** A field of a zero-allocated struct that nothing has written yet. */
  private isFresh(q: string, st: State): boolean {
    const fs = this.opts.freshStructs;
    if (!fs || !fs.size || st.vals.has(q)) return false;
    return fs.has(q.slice(0, q.indexOf('.')));
  }

  private hooks(): RuleHooks[] {
    return this.muted ? this.mutedHooks : this.opts.hooks;
  }

  private site(fn: FunctionFact, line: number, col = 1): Site {
    // one copy while the stack stays as it is: a body has many sites, and hooks only read them
    this.frozen ??= this.stack.slice();
    if (!this.decided.length) return { fn, line, col, stack: this.frozen };
    this.decidedFrozen ??= this.decided.slice();
    return { fn, line, col, stack: this.frozen, decided: this.decidedFrozen };
  }

  /** decided branches around the statement being walked (Site.decided) */
  private decided: Decided[] = [];
  private decidedFrozen: readonly Decided[] | null = null;

  /** Walk one side of an if that the state decided, with the decision on the stack its sites see. */
  private sideDecided(s: Stmt, st: State, cx: Ctx, d: Decided | null): Flow {
    if (!d) return this.stmt(s, st, cx);
    this.decided.push(d);
    this.decidedFrozen = null;
    this.frozen = null;
    try {
      return this.stmt(s, st, cx);
    } finally {
      this.decided.pop();
      this.decidedFrozen = null;
      this.frozen = null;
    }
  }

  /** The bit test a condition is, with how many `!` wrap it, when the state knows the bit. */
  private decision(e: Expr, st: State, cx: Ctx): Decided | null {
    let x = e;
    while (x.k === 'unary' && x.op === '!') x = x.e;
    const bt = this.builtins.bitTestOf(x, cx.sc, (a) => this.constOf(a, st, cx));
    if (!bt) return null;
    const v = testBit(st.bits.get(bt.q) ?? (this.isFresh(bt.q, st) ? { all: 0, set: [], clear: [] } : undefined), bt.bit);
    if (v === null) return null;
    return { depth: this.stack.length - 1, line: 0, text: exprText(x), field: bt.q, bit: bt.bit.replace(/^sym:/, ''), set: v === 1 };
  }

  /** the key of this run's pinned functions for Footprints.reaches: units pinned alike share its memo */
  private pinKey: string | null = null;

  private reachesPinned(fn: FunctionFact): boolean {
    const pins = this.opts.pins;
    if (!pins || !pins.fns.size) return false;
    this.pinKey ??= `pins\u0000${[...pins.fns].map((f) => `${f.file}\u0000${f.name}\u0000${f.line}`).sort().join('\u0000')}`;
    return this.footprints.reaches(fn, pins.fns, this.pinKey);
  }

  /** What every blind summary of this engine is also keyed on: the zero-allocated structs (and the vendor, where an ops call follows). */
  private sharedPrefix = '';

  private blindMemo = new Map<FunctionFact, number>();

  /** The hooks (a bit each, by index) nothing of whose watch can happen inside `fn`. */
  private blindMask(fn: FunctionFact): number {
    let b = this.blindMemo.get(fn);
    if (b === undefined) {
      b = 0;
      this.opts.hooks.forEach((h, i) => { if (i < MAX_MASKED && !this.footprints.touches(fn, h.watch)) b! |= 1 << i; });
      this.blindMemo.set(fn, b);
    }
    return b;
  }

  /** The hooks not in `skip` whose facts in `st` are settled for `fn` (RuleHooks.settled): they sit this call out. */
  private settledMask(fn: FunctionFact, st: State, skip: number): number {
    let m = 0;
    this.opts.hooks.forEach((h, i) => {
      if (!h.settled || i >= MAX_MASKED || skip & (1 << i)) return;
      const w = h.settled(st);
      if (w && !this.footprints.touches(fn, w)) m |= 1 << i;
    });
    return m;
  }

  /** hooks muted in the frames being walked: settled where they were entered (settledMask) */
  private muted = 0;
  private mutedHooks: RuleHooks[] = [];

  private setMuted(m: number): void {
    if (m === this.muted) return;
    this.muted = m;
    this.mutedHooks = this.opts.hooks.filter((_, i) => !(m & (1 << i)));
  }

  private callFunction(fn: FunctionFact, args: Val[], st: State, callLine: number, via: string | undefined): FrameResult {
    if (this.active.has(fn) || this.stack.length >= (this.opts.maxDepth ?? MAX_DEPTH) || this.exhausted) {
      this.deps.cut();
      return { state: st, ret: 'unknown' };
    }
    // the callee sees only what it can touch, so its summary is shared by
    // every caller whose state agrees on that part
    // constants the callee cannot act on are not part of what it is called with
    const rel = this.params.of(fn);
    args = args.map((a, i) => (rel[i] === false ? undefined : a));
    const fp = this.footprints.of(fn);
    // the vendor a path is on matters only where an ops call can follow
    const ops = this.footprints.reachesOps(fn);
    const keep = (k: string) => (k === GROUP_KEY ? ops : fp.has(k));
    const fpBlind = this.blindMask(fn);
    // the entry is never blind: its return is where some rules report
    const muted = this.stack.length > 0 ? this.muted | this.settledMask(fn, st, fpBlind | this.muted) : 0;
    const blind = fpBlind | muted;
    const n = this.opts.hooks.length;
    const blindToAll = this.stack.length > 0 && n <= MAX_MASKED && blind === (1 << n) - 1;
    const keepFact = this.factsSeenBy(blind);
    // a blind callee's summary is keyed on less than all it sees (an unknown value as no value): no rule
    // reports inside it, so which caller's path analyses it first changes no trace
    const inner = project(st, keep, keepFact, blindToAll ? this.unknownIsAbsent : undefined);
    // a muted hook's facts are not in the key, and its events inside are not in the summary
    const key = frameKey(fn, args, inner, muted) + (this.byStack ? `|${this.stack.map((f) => f.fn.name).join('>')}` : '');
    // a pinned dispatcher's summary, and a caller's of one, holds for this run's cases only
    const shared = this.opts.shared && blindToAll && !this.reachesPinned(fn) ? this.opts.shared : null;
    const skey = shared ? sharedKey(this.vendor.buildKey(ops), this.sharedPrefix, key) : key;
    const memo = shared?.get(skey) ?? this.summaries.get(key);
    if (memo) {
      if (memo.sub) this.deps.blind(memo);
      if (memo.cut) this.deps.cut();
      return { state: this.after(st, memo, keep, keepFact), ret: memo.ret, ...this.afterSplit(st, memo, keep, keepFact) };
    }
    const col = shared ? this.deps.begin() : null;
    // shares inner's maps, and makes any write inside copy them first
    const seen = inner.clone();
    const outerMuted = this.muted;
    this.setMuted(muted);
    let res: FrameResult;
    try {
      res = this.analyse(fn, args, inner, callLine, via);
    } finally {
      this.setMuted(outerMuted);
    }
    res.same = !!res.state && res.state.sameAs(seen);
    if (col) {
      res.sub = this.deps.end(col);
      res.cut = col.cut;
      this.deps.blind(res);
    }
    if (shared && !res.cut) {
      res.of = fn;
      shared.set(skey, res);
    } else {
      this.summaries.set(key, res);
    }
    return { state: this.after(st, res, keep, keepFact), ret: res.ret, ...this.afterSplit(st, res, keep, keepFact) };
  }

  /** The caller's state on each of the callee's outcomes, where it has them apart (FrameResult.split). */
  private afterSplit(st: State, res: FrameResult, keep: (k: string) => boolean, keepFact: (k: string) => boolean): { split?: RetSplit } {
    const s = res.split;
    if (!s) return {};
    const one = (x: State | null) => (x ? applyProjected(st, x, keep, keepFact) : null);
    return { split: { zero: one(s.zero), err: one(s.err), other: one(s.other) } };
  }

  /** The caller's state after a callee that left `res` from the part of `st` it saw. */
  private after(st: State, res: FrameResult, keep: (k: string) => boolean, keepFact: (k: string) => boolean): State | null {
    if (!res.state) return null;
    // a callee that changed nothing it saw (most getters) hands the caller's state back as it was
    return res.same ? st : applyProjected(st, res.state, keep, keepFact);
  }

  private factFilters = new Map<number, (k: string) => boolean>();

  /** Facts of the rules not in `blindMask` (the hooks blind to or muted in a callee); facts no rule claims are always kept. */
  private factsSeenBy(blindMask: number): (k: string) => boolean {
    let f = this.factFilters.get(blindMask);
    if (f) return f;
    const hooks = this.opts.hooks;
    const blind = hooks.filter((_, i) => blindMask & (1 << i));
    if (!blind.length) f = () => true;
    else {
      const seeing = hooks.filter((h) => !blind.includes(h));
      f = (k) => !blind.some((h) => h.watch.facts(k)) || seeing.some((h) => h.watch.facts(k));
    }
    this.factFilters.set(blindMask, f);
    return f;
  }

  private analyse(fn: FunctionFact, args: Val[], st: State, callLine: number, via: string | undefined): FrameResult {
    this.active.add(fn);
    this.stack.push({ fn, callLine, via });
    this.frozen = null;
    fn.params.forEach((pa, i) => {
      if (pa.name && args[i] !== undefined) st.setLocal(pa.name, args[i]);
    });
    const cx: Ctx = { fn, sc: scopeOf(this.p, fn) };
    let flow = this.stmt(fn.body, st, cx);
    // a goto to a label that was not reached in order (a backward jump) has
    // been run through already; merge what arrives there into the exit
    let out = merge(flow.next, flow.ret);
    for (const g of flow.gotos.values()) out = merge(out, g);
    out = out ? out.withoutLocals() : null;
    let retVal = flow.retVal;
    if (flow.next) retVal = joinRet(retVal, 'unknown');
    let split: RetSplit | undefined;
    const rz = flow.rets.zero;
    const re = flow.rets.err;
    if (out && (rz || re) && [rz, re, flow.rets.other ?? flow.next].filter(Boolean).length >= 2) {
      let other = merge(flow.rets.other, flow.next);
      for (const g of flow.gotos.values()) other = merge(other, g);
      split = { zero: rz ? rz.withoutLocals() : null, err: re ? re.withoutLocals() : null, other: other ? other.withoutLocals() : null };
    }
    if (out) {
      const at = this.site(fn, fn.endLine);
      for (const h of this.hooks()) h.onFrameReturn?.(out, at);
      if (this.stack.length === 1) for (const h of this.hooks()) h.onEntryReturn?.(out, at);
    }
    this.stack.pop();
    this.frozen = null;
    this.active.delete(fn);
    flow = emptyFlow(null);
    return { state: out, ret: retVal === 'none' ? 'unknown' : retVal, ...(split ? { split } : {}) };
  }

  // ---- statements --------------------------------------------------------------

  private stmt(s: Stmt, st: State | null, cx: Ctx): Flow {
    if (!st) return emptyFlow(null);
    if (++this.steps > MAX_STEPS) {
      this.exhausted = true;
      this.deps.cut();
      return emptyFlow(st);
    }
    switch (s.k) {
      case 'block':
        return this.block(s.body, st, cx);
      case 'expr': {
        const r = this.expr(s.e, st, cx);
        const f = emptyFlow(r.state);
        if (r.outcomes && s.e.k === 'assign' && s.e.lhs.k === 'id') f.alts = { local: s.e.lhs.name, states: r.outcomes.map((o) => o.state) };
        return f;
      }
      case 'decl': {
        let cur: State | null = st;
        let alts: Flow['alts'];
        for (const v of s.vars) {
          if (!cur) break;
          alts = undefined;
          if (v.init) {
            const r = this.expr(v.init, cur, cx);
            cur = r.state;
            cur?.setLocal(v.name, r.val);
            if (r.outcomes) {
              for (const o of r.outcomes) o.state.setLocal(v.name, o.val);
              alts = { local: v.name, states: r.outcomes.map((o) => o.state) };
            }
          } else cur.setLocal(v.name, undefined);
        }
        const f = emptyFlow(cur);
        if (alts && cur) f.alts = alts;
        return f;
      }
      case 'if': {
        const c = this.cond(s.c, st, cx);
        // one side only: the state decided it, and a finding under it says how
        const d = !c.t !== !c.f ? this.decision(s.c, st, cx) : null;
        if (d) d.line = s.line;
        const t = c.t ? this.sideDecided(s.t, c.t, cx, d) : emptyFlow(null);
        const f = c.f ? (s.f ? this.sideDecided(s.f, c.f, cx, d) : emptyFlow(c.f)) : emptyFlow(null);
        return joinFlows(t, f);
      }
      case 'while': {
        // once through, then merge with not entering; a loop's must-facts are
        // those of the path that skips it
        if (s.doWhile) {
          const body = this.stmt(s.body, st, cx);
          const after = merge(body.next, body.cont);
          const c = after ? this.cond(s.c, after, cx) : { t: null, f: null };
          return { ...body, next: merge(merge(c.f, c.t), body.brk), brk: null, cont: null };
        }
        const c = this.cond(s.c, st, cx);
        if (!c.t) return emptyFlow(c.f);
        const body = this.stmt(s.body, c.t, cx);
        const back = merge(body.next, body.cont);
        return { ...body, next: merge(merge(c.f, back), body.brk), brk: null, cont: null };
      }
      case 'for': {
        let cur: State | null = st;
        if (s.init) cur = this.stmt(s.init, cur, cx).next;
        if (!cur) return emptyFlow(null);
        const c = s.c ? this.cond(s.c, cur, cx) : { t: cur, f: null as State | null };
        if (!c.t) return emptyFlow(c.f);
        const body = this.stmt(s.body, c.t, cx);
        let back = merge(body.next, body.cont);
        if (back && s.step) back = this.expr(s.step, back, cx).state;
        // `for (;;)` leaves only through break, return or goto
        const exit = s.c ? merge(c.f, back) : null;
        return { ...body, next: merge(exit, body.brk), brk: null, cont: null };
      }
      case 'switch':
        return this.switch(s, st, cx);
      case 'return': {
        let cur: State | null = st;
        let val: Val | 'unknown' = 'unknown';
        if (s.e) {
          const r = this.expr(s.e, cur, cx);
          cur = r.state;
          val = r.val === undefined ? 'unknown' : r.val;
          // `return -EINVAL;`: an errno, whatever its number
          if (val === 'unknown' && s.e.k === 'unary' && s.e.op === '-' && s.e.e.k === 'id' && !cx.sc.vars.has(s.e.e.name)) val = NEG;
        }
        const f = { ...emptyFlow(null), ret: cur, retVal: cur ? val : 'none' } as Flow;
        if (val === 0) f.rets.zero = cur;
        else if (val === NEG || (typeof val === 'number' && val !== 0)) f.rets.err = cur;
        else f.rets.other = cur;
        return f;
      }
      case 'goto': {
        const f = emptyFlow(null);
        f.gotos.set(s.label, st);
        return f;
      }
      case 'break':
        return { ...emptyFlow(null), brk: st };
      case 'continue':
        return { ...emptyFlow(null), cont: st };
      case 'pp': {
        // both sides of an #if are possible builds
        const t = this.stmt(s.t, st.clone(), cx);
        const f = s.f ? this.stmt(s.f, st.clone(), cx) : emptyFlow(st.clone());
        return joinFlows(t, f);
      }
      case 'label':
      case 'case':
      case 'empty':
        return emptyFlow(st);
      default:
        return emptyFlow(st);
    }
  }

  /** `seeded`: gotos from an enclosing block whose labels sit in this one. */
  private block(body: Stmt[], st: State | null, cx: Ctx, seeded?: Map<string, State>): Flow {
    let cur: State | null = st;
    const acc: Flow = emptyFlow(null);
    if (seeded) for (const [l, g] of seeded) acc.gotos.set(l, g);
    for (let i = 0; i < body.length; i++) {
      const s = body[i];
      if (s.k === 'label') {
        const pending = acc.gotos.get(s.name);
        if (pending) {
          cur = merge(cur, pending);
          acc.gotos.delete(s.name);
        }
        continue;
      }
      if (!cur) {
        // unreachable in order; a goto may still land on a label inside
        if (!containsPendingLabel(s, acc.gotos)) continue;
      }
      const f = this.stmtWithLabels(s, cur, cx, acc.gotos);
      absorb(acc, f);
      cur = f.next;
      const next = body[i + 1];
      if (f.alts && cur && next && next.k === 'if' && mentions(next.c, f.alts.local)) {
        // `r = f(); if (r) goto out;`: the test runs on each of f's outcomes
        // apart, so the failing paths go to `out` and only the others on
        let joined: Flow | null = null;
        for (const alt of f.alts.states) {
          const g = this.stmtWithLabels(next, alt, cx, acc.gotos);
          joined = joined ? joinFlows(joined, g) : g;
        }
        absorb(acc, joined!);
        cur = joined!.next;
        i++;
      }
    }
    acc.next = cur;
    return acc;
  }

  /** A statement that may contain a label some earlier goto jumps to. */
  private stmtWithLabels(s: Stmt, cur: State | null, cx: Ctx, pending: Map<string, State>): Flow {
    if (s.k === 'block' && containsPendingLabel(s, pending)) {
      // hand the pending gotos to the inner block so it merges them at the label
      const moved = new Map<string, State>();
      for (const [l, g] of pending) if (s.body.some((x) => x.k === 'label' && x.name === l)) moved.set(l, g);
      for (const l of moved.keys()) pending.delete(l);
      return this.block(s.body, cur, cx, moved);
    }
    if (!cur) return emptyFlow(null);
    return this.stmt(s, cur, cx);
  }

  private switch(s: Extract<Stmt, { k: 'switch' }>, st: State, cx: Ctx): Flow {
    const r = this.expr(s.e, st, cx);
    const entry = r.state;
    if (!entry) return emptyFlow(null);
    const disc = r.val;
    const pin = this.opts.pins?.switches.get(s);
    // a blind frame around a pinned switch is no function of its key alone: its summary stays in the run
    if (pin) this.deps.cut();
    const items = pin ? switchCases(s.body) : s.body.k === 'block' ? flattenCases(s.body.body) : [s.body];
    const labels = items.filter((x): x is Extract<Stmt, { k: 'case' }> => x.k === 'case');
    const values = labels.map((l) => (l.value ? this.constOf(l.value, entry, cx) : undefined));
    const known = disc !== undefined;
    const matchIdx = known ? labels.findIndex((l, i) => l.value && values[i] === disc) : -1;
    const hasDefault = labels.some((l) => !l.value);
    let cur: State | null = null;
    const acc: Flow = emptyFlow(null);
    let li = -1;
    for (const x of items) {
      if (x.k === 'case') {
        li++;
        let enter: boolean;
        if (pin) enter = pin.has(li);
        else if (!known) enter = true;
        else if (matchIdx >= 0) enter = li === matchIdx;
        else enter = !x.value || values[li] === undefined; // default, or a label we could not read
        if (enter) cur = merge(cur, entry.clone());
        continue;
      }
      if (x.k === 'label') {
        const g = acc.gotos.get(x.name);
        if (g) { cur = merge(cur, g); acc.gotos.delete(x.name); }
        continue;
      }
      if (!cur) continue;
      const f = this.stmt(x, cur, cx);
      absorb(acc, f);
      cur = f.next;
    }
    const noMatch = !pin && ((!known && !hasDefault) || (known && matchIdx < 0 && !hasDefault)) ? entry : null;
    return { ...acc, next: mergeAll([cur, acc.brk, noMatch]), brk: null };
  }

  // ---- conditions ----------------------------------------------------------------

  /** States on the true and false sides of a condition (null: that side cannot happen). */
  private cond(e: Expr, st: State, cx: Ctx): { t: State | null; f: State | null } {
    if (e.k === 'unary' && e.op === '!') {
      const r = this.cond(e.e, st, cx);
      return { t: r.f, f: r.t };
    }
    if (e.k === 'binary' && (e.op === '&&' || e.op === '||')) {
      const l = this.cond(e.l, st, cx);
      if (e.op === '&&') {
        const r = l.t ? this.cond(e.r, l.t, cx) : { t: null, f: null };
        return { t: r.t, f: merge(l.f, r.f) };
      }
      const r = l.f ? this.cond(e.r, l.f, cx) : { t: null, f: null };
      return { t: merge(l.t, r.t), f: r.f };
    }
    let r: ExprResult;
    if (e.k === 'binary' && COMPARE.has(e.op)) {
      // as expr() would, with `f() < 0` decided on each of the call's outcomes
      const l = this.expr(e.l, st, cx);
      const rv = this.expr(e.r, l.state, cx);
      if (l.outcomes && rv.state && rv.state === l.state && typeof rv.val === 'number') return this.branched(e, splitBy(l.outcomes, (v) => binop(e.op, v, rv.val)), cx);
      r = { state: rv.state, val: binop(e.op, l.val, rv.val) };
    } else r = this.expr(e, st, cx);
    if (!r.state) return { t: null, f: null };
    if (r.outcomes) return this.branched(e, splitBy(r.outcomes, (v) => v), cx);
    const v = r.val;
    if (typeof v === 'number') {
      return v !== 0 ? { t: r.state, f: null } : { t: null, f: r.state };
    }
    if (v === NEG) return { t: r.state, f: null };
    const t = r.state;
    const f = r.state.clone();
    const bt = this.builtins.bitTestOf(e, cx.sc, (a) => this.constOf(a, st, cx));
    if (bt) {
      this.builtins.setBit(t, bt.q, bt.bit, true);
      this.builtins.setBit(f, bt.q, bt.bit, false);
    }
    return this.branched(e, { t, f }, cx);
  }

  /**
   * The hooks see a test wherever the program makes one, also where the
   * callee's outcomes already decide some of its paths (`!lapic_in_kernel(vcpu)`
   * returns true on one path of its own): each side that can happen is told.
   */
  private branched(e: Expr, sides: { t: State | null; f: State | null }, cx: Ctx): { t: State | null; f: State | null } {
    for (const h of this.hooks()) {
      if (sides.t) h.onBranch?.(e, true, sides.t, cx.sc);
      if (sides.f) h.onBranch?.(e, false, sides.f, cx.sc);
    }
    return sides;
  }

  /** Value of a constant expression (numbers, enumerators, known locals). */
  private constOf(e: Expr, st: State | null, cx: Ctx): Val {
    switch (e.k) {
      case 'num':
        return e.value ?? undefined;
      case 'id': {
        const v = st?.local(e.name);
        if (v !== undefined) return v;
        if (cx.sc.vars.has(e.name)) return undefined;
        return `sym:${e.name}`;
      }
      case 'unary': {
        const v = this.constOf(e.e, st, cx);
        if (typeof v !== 'number') return undefined;
        if (e.op === '-') return -v;
        if (e.op === '~') return ~v;
        if (e.op === '!') return v ? 0 : 1;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  // ---- expressions -----------------------------------------------------------------

  private expr(e: Expr, st: State | null, cx: Ctx): ExprResult {
    if (!st) return { state: null, val: undefined };
    switch (e.k) {
      case 'num':
        return { state: st, val: e.value ?? undefined };
      case 'id':
        return { state: st, val: this.constOf(e, st, cx) };
      case 'str':
      case 'sizeof':
        return { state: st, val: undefined };
      case 'field': {
        const r = this.expr(e.base, st, cx);
        if (!r.state) return r;
        const q = qualifiedField(cx.sc, e);
        if (q) {
          const at = this.site(cx.fn, e.line, e.col);
          for (const h of this.hooks()) h.onRead?.(q, r.state, at);
          const v = r.state.vals.get(q);
          if (v !== undefined && v !== null) return { state: r.state, val: v as Val };
          if (v === undefined && this.isFresh(q, r.state)) return { state: r.state, val: 0 };
        }
        return { state: r.state, val: undefined };
      }
      case 'index': {
        const b = this.expr(e.base, st, cx);
        const i = this.expr(e.index, b.state, cx);
        return { state: i.state, val: undefined };
      }
      case 'assign':
        return this.assign(e, st, cx);
      case 'update': {
        const r = this.expr(e.e, st, cx);
        if (r.state) this.writeTarget(e.e, r.state, cx, 'compound');
        if (r.state && e.e.k === 'id') r.state.setLocal(e.e.name, undefined);
        return { state: r.state, val: undefined };
      }
      case 'unary': {
        if (e.op === '&') {
          // taking an address reads nothing; what happens through the pointer
          // is the callee's business (see call)
          const r = this.addressBase(e.e, st, cx);
          return { state: r, val: undefined };
        }
        const r = this.expr(e.e, st, cx);
        if (r.val === NEG && e.op === '!') return { state: r.state, val: 0 };
        if (typeof r.val === 'number') {
          if (e.op === '!') return { state: r.state, val: r.val ? 0 : 1 };
          if (e.op === '-') return { state: r.state, val: -r.val };
          if (e.op === '~') return { state: r.state, val: ~r.val };
        }
        return { state: r.state, val: undefined };
      }
      case 'binary': {
        if (e.op === '&&' || e.op === '||') {
          const c = this.cond(e, st, cx);
          const v: Val = c.t && !c.f ? 1 : !c.t && c.f ? 0 : undefined;
          return { state: merge(c.t, c.f), val: v };
        }
        const l = this.expr(e.l, st, cx);
        const r = this.expr(e.r, l.state, cx);
        return { state: r.state, val: binop(e.op, l.val, r.val) };
      }
      case 'cond': {
        const c = this.cond(e.c, st, cx);
        const t = c.t ? this.expr(e.t.k === 'seq' && e.t.items.length === 0 ? e.c : e.t, c.t, cx) : { state: null, val: undefined };
        const f = c.f ? this.expr(e.f, c.f, cx) : { state: null, val: undefined };
        const val = !c.f ? t.val : !c.t ? f.val : t.val === f.val ? t.val : undefined;
        return { state: merge(t.state, f.state), val };
      }
      case 'cast': {
        const r = this.expr(e.e, st, cx);
        return r;
      }
      case 'seq': {
        let cur: State | null = st;
        let val: Val = undefined;
        for (const x of e.items) {
          const r = this.expr(x, cur, cx);
          cur = r.state;
          val = r.val;
        }
        return { state: cur, val };
      }
      case 'stmt': {
        const f = this.stmt(e.body, st, cx);
        return { state: mergeAll([f.next, f.brk]), val: undefined };
      }
      case 'call':
        return this.call(e, st, cx);
      default:
        return { state: st, val: undefined };
    }
  }

  /** Evaluate what an address is taken of, without reading the final field. */
  private addressBase(e: Expr, st: State, cx: Ctx): State | null {
    if (e.k === 'field') return this.expr(e.base, st, cx).state;
    if (e.k === 'index') {
      const b = this.addressBase(e.base, st, cx);
      return this.expr(e.index, b, cx).state;
    }
    return this.expr(e, st, cx).state;
  }

  private assign(e: Extract<Expr, { k: 'assign' }>, st: State, cx: Ctx): ExprResult {
    const r = this.expr(e.rhs, st, cx);
    let cur = r.state;
    if (!cur) return r;
    const compound = e.op !== '=';
    if (compound) cur = this.expr(e.lhs, cur, cx).state;
    else cur = this.addressBase(e.lhs, cur, cx);
    if (!cur) return { state: null, val: undefined };
    if (e.lhs.k === 'id') cur.setLocal(e.lhs.name, compound ? undefined : r.val);
    let outcomes: { state: State; val: Val }[] | undefined;
    if (r.outcomes && !compound && e.lhs.k === 'id') {
      const name = e.lhs.name;
      outcomes = r.outcomes.map((o) => {
        o.state.setLocal(name, o.val);
        return o;
      });
    }
    const q = this.writeTarget(e.lhs, cur, cx, compound ? 'compound' : 'assign', compound ? undefined : r.val);
    if (q) {
      const whole = e.lhs.k === 'field';
      const known = !compound && whole && r.val !== undefined;
      if (known || this.tracksValue(q, cur)) cur.setVal(q, known ? r.val! : null);
      // bit-set knowledge of the field follows the assignment
      if (!compound && typeof r.val === 'number') cur.setBits(q, { all: r.val === 0 ? 0 : r.val === -1 ? 1 : null, set: [], clear: [] });
      else cur.setBits(q, undefined);
    }
    return { state: cur, val: r.val, ...(outcomes ? { outcomes } : {}) };
  }

  /** Report a write to the field `lhs` names, if it names one. */
  private writeTarget(lhs: Expr, st: State, cx: Ctx, how: 'assign' | 'compound' | 'address' | 'fill', value?: Val): string | null {
    let target = lhs;
    // `regs[i] = x` writes (part of) the array field
    while (target.k === 'index') target = target.base;
    if (target.k === 'unary' && target.op === '*' && target.e.k === 'field') target = target.e;
    if (target.k !== 'field') return null;
    const q = qualifiedField(cx.sc, target);
    if (!q) return null;
    const line = target.line;
    const at = this.site(cx.fn, line, target.col);
    for (const h of this.hooks()) h.onWrite?.(q, st, at, how, value, target, cx.sc);
    if (how !== 'assign' && this.tracksValue(q, st)) st.setVal(q, null);
    return q;
  }

  private call(e: Extract<Expr, { k: 'call' }>, st: State, cx: Ctx): ExprResult {
    let cur: State | null = st;
    // the callee expression itself (an ops table read) and then the arguments, in order
    if (e.fn.k !== 'id' && !(e.fn.k === 'call' && e.fn.fn.k === 'id')) cur = this.expr(e.fn, cur, cx).state;
    const vals: Val[] = [];
    for (const a of e.args) {
      const r = this.expr(a, cur, cx);
      cur = r.state;
      vals.push(r.val);
    }
    if (!cur) return { state: null, val: undefined };
    const info = resolveCall(cx.sc, e);
    for (const t of info.targets) this.deps.walk(t.fn);
    if (info.hook) this.deps.call(info.hook);
    if (info.name) for (const n of calledNames(this.p, info.name)) this.deps.call(n);
    const name = info.name ?? info.hook;
    const at = this.site(cx.fn, e.line, e.col);
    const ev: CallEvent = { name, info, args: vals, argExprs: e.args, sc: cx.sc };
    const fname = info.name;
    // memory and bit primitives are understood here, not followed
    const prim = this.builtins.call(fname, e, vals, cur, cx.sc, at, ev);
    if (prim) return prim;
    for (const h of this.hooks()) h.onCall?.(ev, cur, at);
    let after: State | null = cur;
    let val: Val = undefined;
    const targets = this.vendor.targets(info.targets, cur);
    let split: RetSplit | null = null;
    if (targets.length) {
      const outs: (State | null)[] = [];
      const rets: (Val | 'unknown')[] = [];
      const parts: RetSplit = { zero: null, err: null, other: null };
      for (const t of targets) {
        const st2 = cur.clone();
        const group = this.vendor.groupOfTarget(t);
        if (group !== undefined) st2.setVal(GROUP_KEY, group);
        const r = this.callFunction(t.fn, t.kind === 'macro' ? [] : vals, st2, e.line, t.via);
        outs.push(r.state);
        if (r.state) rets.push(r.ret);
        // each target's outcomes by value: its own split, or its one known value
        if (r.split) {
          parts.zero = merge(parts.zero, r.split.zero);
          parts.err = merge(parts.err, r.split.err);
          parts.other = merge(parts.other, r.split.other);
        } else if (r.ret === 0) parts.zero = merge(parts.zero, r.state);
        else if (r.ret === NEG || (typeof r.ret === 'number' && r.ret !== 0)) parts.err = merge(parts.err, r.state);
        else parts.other = merge(parts.other, r.state);
      }
      after = mergeAll(outs);
      if ((parts.zero || parts.err) && [parts.zero, parts.err, parts.other].filter(Boolean).length >= 2) split = parts;
      if (rets.length && rets.every((x) => x === rets[0]) && rets[0] !== 'unknown') val = rets[0] as Val;
    }
    if (this.builtins.noReturn(fname)) after = null;
    if (!after) return { state: null, val: undefined };
    const back = (s: State) => {
      // a field whose address is passed may have been written by the callee
      e.args.forEach((a) => {
        if (a.k === 'unary' && a.op === '&') this.writeTarget(a.e, s, cx, 'address');
      });
      for (const h of this.hooks()) h.onCallReturn?.(ev, s, at);
    };
    back(after);
    if (!split) return { state: after, val };
    const outcomes: { state: State; val: Val }[] = [];
    if (split.zero) { back(split.zero); outcomes.push({ state: split.zero, val: 0 }); }
    if (split.err) { back(split.err); outcomes.push({ state: split.err, val: NEG }); }
    if (split.other) { back(split.other); outcomes.push({ state: split.other, val: undefined }); }
    return { state: after, val, outcomes };
  }

}

interface Ctx {
  fn: FunctionFact;
  sc: Scope;
}

/** Whether `e` reads the local `name`. */
function mentions(e: Expr, name: string, depth = 0): boolean {
  if (depth > 32) return false;
  switch (e.k) {
    case 'id': return e.name === name;
    case 'unary': case 'update': return mentions(e.e, name, depth + 1);
    case 'cast': return mentions(e.e, name, depth + 1);
    case 'binary': return mentions(e.l, name, depth + 1) || mentions(e.r, name, depth + 1);
    case 'call': return e.args.some((a) => mentions(a, name, depth + 1));
    default: return false;
  }
}


function containsPendingLabel(s: Stmt, pending: Map<string, State>): boolean {
  if (pending.size === 0) return false;
  if (s.k === 'block') return s.body.some((x) => x.k === 'label' && pending.has(x.name));
  return false;
}

