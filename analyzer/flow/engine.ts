// The ordering engine: abstract interpretation of function bodies in
// statement order from an entry point, through every resolved call (ops
// calls reach each implementation), with constants flowing into callees and
// back out as return values so that `if (init_event)` and
// `if (!kvm_register_is_available(...))`-style branches are pruned when their
// outcome is known. Each function is summarised per distinct input (state,
// constant arguments), which also bounds recursion.
//
// The engine knows nothing of KVM: rules observe reads, writes, calls,
// branches and returns through RuleHooks and keep their own facts in State.

import type { Expr, FunctionFact, Stmt } from '../parse/ir';
import { condLiterals, type Program } from '../program/program';
import { resolveCall, calledNames, scopeOf, qualifiedField, exprText, fieldOfArg, type Scope, type CallInfo, type Target } from '../program/callgraph';
import type { EngineConfig } from '../pack/load';
import { State, merge, mergeAll, testBit, project, applyProjected, type LocalVal, type Tri } from './state';
import { Footprints, type Watch } from './footprint';
import { ParamRelevance } from './params';
import type { Finding, TraceStep } from './finding';

/** A constant: a number, or the name of an enumerator/macro constant. */
/** a known constant (a number, or `sym:NAME` an enumerator), undefined when not known */
export type Val = LocalVal | undefined;

export interface Frame {
  fn: FunctionFact;
  /** line in the caller where this frame was entered (0 for the entry) */
  callLine: number;
  via?: string;
}

export interface Site {
  fn: FunctionFact;
  line: number;
  col: number;
  stack: readonly Frame[];
  /** the branches around this site that the path's facts decided, outermost first */
  decided?: readonly Decided[];
}

/**
 * A branch the state decided: its bit test was known on this path, so only
 * one side could be taken (`!kvm_register_is_available(vcpu, REG)` with the
 * bit still clear). A finding under it says so: that is why the path went
 * where it did.
 */
export interface Decided {
  /** index in the stack of the frame the branch is in */
  depth: number;
  line: number;
  /** the bit test as written, without the `!`s around it */
  text: string;
  /** the field (`struct.member`) and the bit the test reads, and whether the bit was set */
  field: string;
  bit: string;
  set: boolean;
}

export interface RuleHooks {
  onRead?(field: string, st: State, at: Site): void;
  /** `value`: what an assignment stores, when it is a known constant */
  onWrite?(field: string, st: State, at: Site, how: 'assign' | 'compound' | 'address' | 'fill', value?: Val): void;
  /** before the callee runs; `name` is the function or macro called by name, or the hook */
  onCall?(call: CallEvent, st: State, at: Site): void;
  onCallReturn?(call: CallEvent, st: State, at: Site): void;
  /** on the path where `cond` evaluated to `taken` */
  onBranch?(cond: Expr, taken: boolean, st: State, sc: Scope): void;
  /** a frame returns (the entry's own return included) */
  onReturn?(st: State, at: Site, depth: number): void;
  onBitsAssign?(field: string, st: State, at: Site): void;
  /** the entry's run is over (each vendor's run is one) */
  onRunEnd?(): void;
  /**
   * What the hooks react to and which facts are theirs. A callee where none
   * of it happens is summarised without those facts. Without a watch the
   * hooks are taken to care about every call.
   */
  watch?: Watch & { facts(key: string): boolean };
}

export interface CallEvent {
  name: string | undefined;
  info: CallInfo;
  args: Val[];
  argExprs: Expr[];
  sc: Scope;
}

interface FrameResult {
  state: State | null;
  ret: Val | 'unknown';
  /**
   * The exit state by what was returned, when the callee returns 0 on some
   * paths and an error (a negative errno, a non-zero constant) or an unknown
   * value on others: a caller that tests the value continues on failure
   * only with the failing paths' state (`r = f(); if (r) goto out;`).
   */
  split?: RetSplit;
  /**
   * A blind callee's: what its frame walked and called, and the blind
   * summaries it used inside, which a run that reuses it walked too.
   */
  sub?: BlindSub;
  /** the analysis was cut short by its context (recursion, depth, the step budget): not a function of its key alone */
  cut?: boolean;
  /** the callee left the state it saw as it was */
  same?: boolean;
  /** a shared summary's function (SharedSummaries.carryFrom) */
  of?: FunctionFact;
}

/**
 * Summaries of blind callees (no hook watches anything they can reach),
 * shared by every engine over one program: such an analysis does not depend
 * on the rules, so a helper under two entries is analysed once. Only
 * summaries that are a function of their key alone go here (not `cut`), so a
 * run gives the same result whichever runs came before it.
 */
export class SharedSummaries {
  private m = new Map<string, FrameResult>();
  /** the store of a run over an earlier program, and what a summary of it must be to hold in this one */
  private earlier: { m: Map<string, FrameResult>; holds: (r: FrameResult) => boolean } | null = null;
  /** summaries taken from the earlier store */
  carried = 0;

  /**
   * At most `cap` summaries: on a whole kernel the entries reach far more
   * helpers than fit in memory. A full store starts again empty; a summary
   * lost is analysed again, to the same result.
   */
  constructor(private cap = 100_000) {}

  /**
   * Summaries of `prev`, a run over another program whose tree-wide facts
   * are the same but for lines (the near-tree proof, analyze.ts), are this
   * run's too where they hold in `p` (holdsIn): the analysis they stand for
   * would give them again.
   */
  carryFrom(prev: SharedSummaries, p: Program): void {
    this.earlier = { m: prev.m, holds: holdsIn(p) };
  }

  get(key: string): FrameResult | undefined {
    const r = this.m.get(key);
    if (r || !this.earlier) return r;
    const e = this.earlier.m.get(key);
    if (!e || !this.earlier.holds(e)) return undefined;
    this.carried++;
    this.set(key, e);
    return e;
  }

  set(key: string, r: FrameResult): void {
    if (this.m.size >= this.cap) this.m.clear();
    this.m.set(key, r);
  }
}

/**
 * Whether a blind summary made over another program holds in `p`: the
 * function it is of and every function its frame and the blind frames under
 * it walked are in `p` as the same objects (facts are never written to, so
 * the same object is the same body: an unchanged file's facts are one copy
 * for both programs, analyze.ts), and its state names no anonymous struct,
 * whose name is its line (`<anon@236>`), which an edit above moves.
 */
function holdsIn(p: Program): (r: FrameResult) => boolean {
  const present = new Set<FunctionFact>();
  for (const defs of p.functions.values()) for (const d of defs) present.add(d);
  const memo = new Map<FrameResult, boolean>();
  const holds = (r: FrameResult): boolean => {
    let v = memo.get(r);
    if (v !== undefined) return v;
    v = !!r.of && !r.cut && present.has(r.of) && !namesAnon(r.state) &&
      (!r.sub || (r.sub.walked.every((f) => present.has(f)) && r.sub.inner.every(holds)));
    memo.set(r, v);
    return v;
  };
  return holds;
}

function namesAnon(st: State | null): boolean {
  if (!st) return false;
  for (const m of [st.facts, st.bits, st.vals]) for (const k of m.keys()) if (k.includes('<anon@')) return true;
  return false;
}

interface BlindSub {
  walked: FunctionFact[];
  called: string[];
  inner: FrameResult[];
}

interface Collector {
  walked: Set<FunctionFact>;
  called: Set<string>;
  inner: Set<FrameResult>;
  cut: boolean;
}

/** Exit states by return value: 0, an error (NEG or a non-zero constant), anything else. */
interface RetSplit {
  zero: State | null;
  err: State | null;
  other: State | null;
}

/** A value known to be a negative errno (`return -ENOMEM;`): non-zero, below 0. */
export const NEG: Val = 'sym:<errno>';

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

interface Flow {
  next: State | null;
  ret: State | null;
  retVal: Val | 'unknown' | 'none';
  /** `ret` by what was returned (RetSplit); `other` also takes what falls off the end */
  rets: RetSplit;
  /**
   * After an expression statement or declaration whose value comes from a
   * call with a RetSplit: the state on each of its outcomes, the local set
   * to the outcome's value. The next statement, when it tests that local,
   * runs once per outcome (block).
   */
  alts?: { local: string; states: State[] };
  brk: State | null;
  cont: State | null;
  gotos: Map<string, State>;
}

const MAX_DEPTH = 28;
const GROUP_KEY = '@table-group';
const MAX_STEPS = 2_000_000;
/** summaries one run keeps at most (6.12's KVM files make about 10,000 in all) */
const MAX_SUMMARIES = 200_000;

function emptyFlow(next: State | null): Flow {
  return { next, ret: null, retVal: 'none', rets: { zero: null, err: null, other: null }, brk: null, cont: null, gotos: new Map() };
}

function joinSplit(a: RetSplit, b: RetSplit): RetSplit {
  return { zero: merge(a.zero, b.zero), err: merge(a.err, b.err), other: merge(a.other, b.other) };
}

function joinRet(a: Val | 'unknown' | 'none', b: Val | 'unknown' | 'none'): Val | 'unknown' | 'none' {
  if (a === 'none') return b;
  if (b === 'none') return a;
  return a === b ? a : 'unknown';
}

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
}

export class Engine {
  private summaries = new Map<string, FrameResult>();
  private active = new Set<FunctionFact>();
  private stack: Frame[] = [];
  /** the stack as sites hand it out, until it changes */
  private frozen: readonly Frame[] | null = null;
  private steps = 0;
  /** set when the step budget ran out: results are partial */
  exhausted = false;
  /**
   * What a change must leave alone for this run's result to stand: every
   * function a call could reach (all targets, before the vendor filter) and
   * every name called, resolved or not (a function added under that name
   * would be reached).
   */
  readonly walked = new Set<FunctionFact>();
  readonly called = new Set<string>();
  private bitOps: { test: Set<string>; set: Set<string>; clear: Set<string>; fill: Set<string>; zero: Set<string> };
  private memWriters: Set<string>;
  private memCopiers: Set<string>;
  private noReturn: Set<string>;

  private groupOf = new Map<string, number>();
  private footprints: Footprints;
  private params: ParamRelevance;

  constructor(private p: Program, private opts: EngineOptions) {
    (opts.tableGroups ?? []).forEach((g, i) => g.forEach((t) => this.groupOf.set(t, i)));
    this.footprints = opts.footprints ?? new Footprints(p);
    const b = opts.config.bitOps;
    this.params = opts.params ?? Engine.paramsFor(p, opts.hooks, opts.config);
    this.sharedPrefix = [...(opts.freshStructs ?? [])].sort().join(',');
    this.assumeKey = [...(opts.assume ?? [])].map(([k, v]) => `${v ? '+' : '-'}${k}`).sort().join('');
    this.groupKey = `${opts.group ?? ''}${this.assumeKey}`;
    this.bitOps = { test: new Set(b.test), set: new Set(b.set), clear: new Set(b.clear), fill: new Set(b.fill), zero: new Set(b.zero) };
    this.memWriters = new Set(opts.config.memWriters);
    this.memCopiers = new Set(opts.config.memCopiers);
    this.noReturn = new Set(opts.config.noReturn);
  }

  /**
   * Which constants matter, for these hooks: it depends on what they watch,
   * not on the vendor or the entry, so every run of one set of hooks can
   * share it.
   */
  static paramsFor(p: Program, hooks: RuleHooks[], config: EngineConfig): ParamRelevance {
    const b = config.bitOps;
    const builtin = new Set([...b.test, ...b.set, ...b.clear, ...(b.fill ?? []), ...(b.zero ?? []), ...config.memWriters, ...config.memCopiers]);
    return new ParamRelevance(p, {
      builtin: (n) => builtin.has(n),
      watched: (info) => hooks.some((h) => !h.watch || (!!h.watch.calls &&
        ((!!info.name && h.watch.calls(info.name)) || (!!info.hook && h.watch.calls(info.hook)) || info.targets.some((t) => h.watch!.calls!(t.fn.name))))),
    });
  }

  /** Analyse `fn` as an entry with the given constant arguments. */
  run(fn: FunctionFact, args: Record<string, number | boolean | string>, init: State): State | null {
    const vals: Val[] = fn.params.map((pa) => toVal(args[pa.name]));
    this.stack = [];
    this.frozen = null;
    this.walked.add(fn);
    const r = this.callFunction(fn, vals, init, 0, undefined);
    this.addBlind();
    for (const h of this.hooks()) h.onRunEnd?.();
    return r.state;
  }

  /** blind summaries this run used outside any other blind frame */
  private usedBlind = new Set<FrameResult>();

  /** What the blind summaries used walked and called, each summary once. */
  private addBlind(): void {
    const seen = new Set<FrameResult>();
    const work = [...this.usedBlind];
    while (work.length) {
      const r = work.pop()!;
      if (seen.has(r) || !r.sub) continue;
      seen.add(r);
      for (const w of r.sub.walked) this.walked.add(w);
      for (const c of r.sub.called) this.called.add(c);
      for (const i of r.sub.inner) work.push(i);
    }
    this.usedBlind.clear();
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

  /** A field of a zero-allocated struct that nothing has written yet. */
  private isFresh(q: string, st: State): boolean {
    const fs = this.opts.freshStructs;
    if (!fs || !fs.size || st.vals.has(q)) return false;
    return fs.has(q.slice(0, q.indexOf('.')));
  }

  /**
   * Ops targets on the vendor already chosen on this path: a path that went
   * through one vendor's table does not continue in another's.
   */
  private sameVendor(targets: Target[], st: State): Target[] {
    const bound = this.opts.group ?? st.vals.get(GROUP_KEY);
    // a definition under an #if side this build does not take is not there, ops or not
    if (bound === undefined || bound === null) return this.opts.assume?.size ? targets.filter((t) => this.assumed(t.cond)) : targets;
    // a hook only the other vendor implements is a call that does nothing on this one
    return targets.filter((t) => {
      if (!this.assumed(t.cond)) return false;
      if (t.kind !== 'ops' || !t.via) return true;
      const g = this.groupOf.get(t.via.slice(0, t.via.indexOf('.')));
      return g === undefined || g === bound;
    });
  }

  /** Whether an `#if` side agrees with what this run assumes of the configuration. */
  private assumed(cond: string | undefined): boolean {
    const a = this.opts.assume;
    if (!cond || !a || !a.size) return true;
    for (const l of condLiterals(cond) ?? []) {
      const v = a.get(l.name);
      if (v !== undefined && v === l.negated) return false;
    }
    return true;
  }

  private hooks(): RuleHooks[] {
    return this.opts.hooks;
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
    const bt = this.bitTestOf(x, st, cx);
    if (!bt) return null;
    const v = testBit(st.bits.get(bt.q) ?? (this.isFresh(bt.q, st) ? { all: 0, set: [], clear: [] } : undefined), bt.bit);
    if (v === null) return null;
    return { depth: this.stack.length - 1, line: 0, text: exprText(x), field: bt.q, bit: bt.bit.replace(/^sym:/, ''), set: v === 1 };
  }

  /** one a blind analysis under way, innermost last */
  private collecting: Collector[] = [];

  // inside a blind frame an event belongs to that frame's summary; the run gets it with the summary (addBlind)
  private noteWalked(fn: FunctionFact): void {
    const c = this.collecting[this.collecting.length - 1];
    if (c) c.walked.add(fn);
    else this.walked.add(fn);
  }

  private noteCalled(name: string): void {
    const c = this.collecting[this.collecting.length - 1];
    if (c) c.called.add(name);
    else this.called.add(name);
  }

  private noteBlind(r: FrameResult): void {
    const c = this.collecting[this.collecting.length - 1];
    if (c) c.inner.add(r);
    else this.usedBlind.add(r);
  }

  private markCut(): void {
    for (const c of this.collecting) c.cut = true;
  }

  /** What every blind summary of this engine is also keyed on: the zero-allocated structs (and the vendor, where an ops call follows). */
  private sharedPrefix = '';
  /** the vendor and the configuration assumed, which an ops call's targets depend on */
  private groupKey = '';
  /** the configuration assumed, which any call's definitions under #if depend on */
  private assumeKey = '';

  private blindMemo = new Map<FunctionFact, boolean>();

  private isBlind(fn: FunctionFact): boolean {
    let b = this.blindMemo.get(fn);
    if (b === undefined) {
      b = this.hooks().every((h) => !!h.watch && !this.footprints.touches(fn, h.watch));
      this.blindMemo.set(fn, b);
    }
    return b;
  }

  private callFunction(fn: FunctionFact, args: Val[], st: State, callLine: number, via: string | undefined): FrameResult {
    if (this.active.has(fn) || this.stack.length >= (this.opts.maxDepth ?? MAX_DEPTH) || this.exhausted) {
      this.markCut();
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
    const keepFact = this.factsSeenBy(fn);
    const inner = project(st, keep, keepFact);
    const key = `${fn.file}:${fn.line}:${fn.name}|${args.join(',')}|${inner.key()}`;
    // the entry is never blind: its return is where some rules report
    const shared = this.opts.shared && this.stack.length > 0 && this.isBlind(fn) ? this.opts.shared : null;
    const skey = shared ? `${ops ? this.groupKey : this.assumeKey || '*'}|${this.sharedPrefix}|${key}` : key;
    const memo = shared?.get(skey) ?? this.summaries.get(key);
    if (memo) {
      if (memo.sub) this.noteBlind(memo);
      if (memo.cut) this.markCut();
      return { state: this.after(st, memo, keep, keepFact), ret: memo.ret, ...this.afterSplit(st, memo, keep, keepFact) };
    }
    const col: Collector | null = shared ? { walked: new Set(), called: new Set(), inner: new Set(), cut: false } : null;
    if (col) this.collecting.push(col);
    // shares inner's maps, and makes any write inside copy them first
    const seen = inner.clone();
    const res = this.analyse(fn, args, inner, callLine, via);
    res.same = !!res.state && res.state.sameAs(seen);
    if (col) {
      this.collecting.pop();
      res.sub = { walked: [...col.walked], called: [...col.called], inner: [...col.inner] };
      res.cut = col.cut;
      this.noteBlind(res);
    }
    if (shared && !res.cut) {
      res.of = fn;
      shared.set(skey, res);
    } else {
      // a run into a whole kernel can make more summaries than memory holds; one lost is analysed again
      if (this.summaries.size >= MAX_SUMMARIES) this.summaries.clear();
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

  private factFilters = new Map<FunctionFact, (k: string) => boolean>();

  /** Facts of the rules whose watched events can happen inside `fn`; facts no rule claims are always kept. */
  private factsSeenBy(fn: FunctionFact): (k: string) => boolean {
    let f = this.factFilters.get(fn);
    if (f) return f;
    const hooks = this.hooks();
    const blind = hooks.filter((h) => h.watch && !this.footprints.touches(fn, h.watch));
    if (!blind.length) f = () => true;
    else {
      const seeing = hooks.filter((h) => !blind.includes(h));
      f = (k) => !blind.some((h) => h.watch!.facts(k)) || seeing.some((h) => !h.watch || h.watch.facts(k));
    }
    this.factFilters.set(fn, f);
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
      for (const h of this.hooks()) h.onReturn?.(out, at, this.stack.length);
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
      this.markCut();
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
    const items = s.body.k === 'block' ? flattenCases(s.body.body) : [s.body];
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
        if (!known) enter = true;
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
    const noMatch = (!known && !hasDefault) || (known && matchIdx < 0 && !hasDefault) ? entry : null;
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
      if (l.outcomes && rv.state && rv.state === l.state && typeof rv.val === 'number') return splitBy(l.outcomes, (v) => binop(e.op, v, rv.val));
      r = { state: rv.state, val: binop(e.op, l.val, rv.val) };
    } else r = this.expr(e, st, cx);
    if (!r.state) return { t: null, f: null };
    if (r.outcomes) return splitBy(r.outcomes, (v) => v);
    const v = r.val;
    if (typeof v === 'number') {
      return v !== 0 ? { t: r.state, f: null } : { t: null, f: r.state };
    }
    if (v === NEG) return { t: r.state, f: null };
    const t = r.state;
    const f = r.state.clone();
    const bt = this.bitTestOf(e, st, cx);
    if (bt) {
      this.setBit(t, bt.q, bt.bit, true);
      this.setBit(f, bt.q, bt.bit, false);
    }
    for (const h of this.hooks()) {
      h.onBranch?.(e, true, t, cx.sc);
      h.onBranch?.(e, false, f, cx.sc);
    }
    return { t, f };
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
      if (!compound && typeof r.val === 'number') {
        const at = this.site(cx.fn, e.line, e.col);
        for (const h of this.hooks()) h.onBitsAssign?.(q, cur, at);
      }
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
    for (const h of this.hooks()) h.onWrite?.(q, st, at, how, value);
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
    for (const t of info.targets) this.noteWalked(t.fn);
    if (info.hook) this.noteCalled(info.hook);
    if (info.name) for (const n of calledNames(this.p, info.name)) this.noteCalled(n);
    const name = info.name ?? info.hook;
    const at = this.site(cx.fn, e.line, e.col);
    const ev: CallEvent = { name, info, args: vals, argExprs: e.args, sc: cx.sc };
    const fname = info.name;
    // memory and bit primitives are understood here, not followed
    if (fname && this.bitOps.test.has(fname)) {
      const q = fieldOfArg(cx.sc, e.args[1]);
      const bit = symOf(vals[0]);
      const bits = q ? cur.bits.get(q) ?? (this.isFresh(q, cur) ? { all: 0 as const, set: [], clear: [] } : undefined) : undefined;
      const v = q ? testBit(bits, bit) : null;
      if (q) for (const h of this.hooks()) h.onRead?.(q, cur, at);
      return { state: cur, val: v === null ? undefined : v };
    }
    if (fname && (this.bitOps.set.has(fname) || this.bitOps.clear.has(fname))) {
      const q = fieldOfArg(cx.sc, e.args[1]);
      if (q) {
        this.setBit(cur, q, symOf(vals[0]), this.bitOps.set.has(fname));
        for (const h of this.hooks()) h.onWrite?.(q, cur, at, 'compound');
        if (this.tracksValue(q, cur)) cur.setVal(q, null);
      }
      for (const h of this.hooks()) h.onCall?.(ev, cur, at);
      return { state: cur, val: undefined };
    }
    if (fname && (this.bitOps.fill.has(fname) || this.bitOps.zero.has(fname))) {
      // the whole bitmap written at once: what `map = ~0` or `map = 0` tells, through the same hooks
      const q = fieldOfArg(cx.sc, e.args[0]);
      if (q) {
        for (const h of this.hooks()) h.onWrite?.(q, cur, at, 'assign');
        if (this.tracksValue(q, cur)) cur.setVal(q, null);
        cur.setBits(q, { all: this.bitOps.fill.has(fname) ? 1 : 0, set: [], clear: [] });
        for (const h of this.hooks()) h.onBitsAssign?.(q, cur, at);
      }
      return { state: cur, val: undefined };
    }
    if (fname && (this.memWriters.has(fname) || this.memCopiers.has(fname))) {
      if (this.memCopiers.has(fname) && e.args[1]) {
        const src = fieldOfArg(cx.sc, e.args[1]);
        if (src) for (const h of this.hooks()) h.onRead?.(src, cur, at);
      }
      this.fillTarget(e.args[0], cur, cx, at);
      return { state: cur, val: undefined };
    }
    for (const h of this.hooks()) h.onCall?.(ev, cur, at);
    let after: State | null = cur;
    let val: Val = undefined;
    const targets = this.sameVendor(info.targets, cur);
    let split: RetSplit | null = null;
    if (targets.length) {
      const outs: (State | null)[] = [];
      const rets: (Val | 'unknown')[] = [];
      const parts: RetSplit = { zero: null, err: null, other: null };
      for (const t of targets) {
        const st2 = cur.clone();
        const group = t.kind === 'ops' && t.via ? this.groupOf.get(t.via.slice(0, t.via.indexOf('.'))) : undefined;
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
    if (fname && this.noReturn.has(fname)) after = null;
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

  /** Record that bit `bit` of `q` is now set (or clear); an unknown bit makes the whole field unknown. */
  private setBit(st: State, q: string, bit: string | null, setting: boolean): void {
    if (bit === null) {
      st.setBits(q, undefined);
      return;
    }
    const old = st.bits.get(q);
    const base = old ?? (this.isFresh(q, st) ? { all: 0 as const, set: [], clear: [] } : { all: null, set: [], clear: [] });
    const b = { all: base.all, set: base.set.filter((x) => x !== bit), clear: base.clear.filter((x) => x !== bit) };
    (setting ? b.set : b.clear).push(bit);
    st.setBits(q, b);
  }

  /**
   * The field and bit a condition tests, when it is a bit test or a call of
   * a function whose whole body returns one on a parameter
   * (`return test_bit(reg, &x->flags);`): each side of the branch then knows
   * the bit.
   */
  private bitTestOf(e: Expr, st: State, cx: Ctx): { q: string; bit: string } | null {
    while (e.k === 'cast') e = e.e;
    if (e.k !== 'call') return null;
    const info = resolveCall(cx.sc, e);
    if (info.name && this.bitOps.test.has(info.name)) {
      const q = fieldOfArg(cx.sc, e.args[1]);
      const bit = symOf(this.constOf(e.args[0], st, cx));
      return q && bit !== null ? { q, bit } : null;
    }
    if (info.targets.length !== 1) return null;
    const w = this.bitTestWrapper(info.targets[0].fn);
    if (!w) return null;
    const bit = symOf(this.constOf(e.args[w.param] ?? { k: 'str' } as Expr, st, cx));
    return bit !== null ? { q: w.q, bit } : null;
  }

  private wrappers = new Map<FunctionFact, { q: string; param: number } | null>();

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

  private fillTarget(a: Expr | undefined, st: State, cx: Ctx, at: Site): void {
    const q = fieldOfArg(cx.sc, a);
    if (!q) return;
    for (const h of this.hooks()) h.onWrite?.(q, st, at, 'fill');
    if (this.tracksValue(q, st)) st.setVal(q, null);
  }
}

interface Ctx {
  fn: FunctionFact;
  sc: Scope;
}

function toVal(v: number | boolean | string | undefined): Val {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return `sym:${v}`;
}

function symOf(v: Val): string | null {
  if (v === undefined) return null;
  return typeof v === 'number' ? String(v) : v.slice(4);
}

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** The sides of a test of a call's outcomes: `truth` of each outcome's value, unknown going both ways. */
function splitBy(outcomes: { state: State; val: Val }[], truth: (v: Val) => Val): { t: State | null; f: State | null } {
  let t: State | null = null;
  let f: State | null = null;
  for (const o of outcomes) {
    const v = truth(o.val);
    if (v === 0) f = merge(f, o.state);
    else if (typeof v === 'number' || v === NEG) t = merge(t, o.state);
    else {
      t = merge(t, o.state);
      f = merge(f, o.state.clone());
    }
  }
  return { t, f };
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

/** `sym:!X`: a value known not to be X (a mode's field in the runs where it is not). */
function notEqual(a: Val, b: Val): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  return (a.startsWith('sym:!') && a.slice(5) === b.slice(4) && !b.startsWith('sym:!')) ||
    (b.startsWith('sym:!') && b.slice(5) === a.slice(4) && !a.startsWith('sym:!'));
}

function binop(op: string, a: Val, b: Val): Val {
  if ((op === '==' || op === '!=') && notEqual(a, b)) return op === '==' ? 0 : 1;
  if ((a === NEG && b === 0) || (a === 0 && b === NEG)) {
    // an errno against 0: non-zero and below it
    const neg = a === NEG ? -1 : 1;
    switch (op) {
      case '==': return 0;
      case '!=': return 1;
      case '<': return neg < 0 ? 1 : 0;
      case '>': return neg < 0 ? 0 : 1;
      case '<=': return neg < 0 ? 1 : 0;
      case '>=': return neg < 0 ? 0 : 1;
      default: return undefined;
    }
  }
  if (op === '&' && (a === 0 || b === 0)) return 0;
  if (op === '*' && (a === 0 || b === 0)) return 0;
  if (op === '==' || op === '!=') {
    if (a === undefined || b === undefined) return undefined;
    if (typeof a !== typeof b) return undefined;
    const eq = a === b;
    if (!eq && typeof a !== 'number') return undefined; // two names may share a value
    return (op === '==') === eq ? 1 : 0;
  }
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return b < 31 ? a << b : undefined;
    case '>>': return a >> b;
    case '<': return a < b ? 1 : 0;
    case '>': return a > b ? 1 : 0;
    case '<=': return a <= b ? 1 : 0;
    case '>=': return a >= b ? 1 : 0;
    default: return undefined;
  }
}

/** Collect a statement's non-local exits (returns, breaks, gotos) into the enclosing flow. */
function absorb(acc: Flow, f: Flow): void {
  acc.ret = merge(acc.ret, f.ret);
  acc.retVal = joinRet(acc.retVal, f.retVal);
  acc.rets = joinSplit(acc.rets, f.rets);
  acc.brk = merge(acc.brk, f.brk);
  acc.cont = merge(acc.cont, f.cont);
  for (const [l, g] of f.gotos) acc.gotos.set(l, merge(acc.gotos.get(l) ?? null, g)!);
}

function joinFlows(a: Flow, b: Flow): Flow {
  const gotos = new Map(a.gotos);
  for (const [l, g] of b.gotos) gotos.set(l, merge(gotos.get(l) ?? null, g)!);
  return {
    next: merge(a.next, b.next),
    ret: merge(a.ret, b.ret),
    retVal: joinRet(a.retVal, b.retVal),
    rets: joinSplit(a.rets, b.rets),
    brk: merge(a.brk, b.brk),
    cont: merge(a.cont, b.cont),
    gotos,
  };
}

function flattenCases(body: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  for (const s of body) {
    // a loop, not push(...): 200,000 statements after one case label overflowed the stack as arguments
    if (s.k === 'block' && s.body.length && s.body[0].k === 'case') for (const c of flattenCases(s.body)) out.push(c);
    else out.push(s);
  }
  return out;
}

function containsPendingLabel(s: Stmt, pending: Map<string, State>): boolean {
  if (pending.size === 0) return false;
  if (s.k === 'block') return s.body.some((x) => x.k === 'label' && pending.has(x.name));
  return false;
}

export type { Tri, Finding, TraceStep };
