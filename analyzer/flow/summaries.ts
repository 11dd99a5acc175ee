// Summaries of callees: what a frame left, by what it returned, and the
// store of blind summaries shared by every engine over one program.

import type { FunctionFact } from '../parse/ir';
import type { Program } from '../program/program';
import type { State } from './state';
import type { Val } from './hooks';
import type { BlindSub } from './deps';

export interface FrameResult {
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

  /** summaries held */
  get size(): number {
    return this.m.size;
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
export function holdsIn(p: Program): (r: FrameResult) => boolean {
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

export function namesAnon(st: State | null): boolean {
  if (!st) return false;
  for (const m of [st.facts, st.bits, st.vals]) for (const k of m.keys()) if (k.includes('<anon@')) return true;
  return false;
}

/** Exit states by return value: 0, an error (NEG or a non-zero constant), anything else. */
export interface RetSplit {
  zero: State | null;
  err: State | null;
  other: State | null;
}

/** summaries one run keeps at most (6.12's KVM files make about 10,000 in all) */
const MAX_SUMMARIES = 200_000;

/** One engine's own summaries: those that depend on its rules, or were cut short. */
export class RunSummaries {
  private m = new Map<string, FrameResult>();

  get(key: string): FrameResult | undefined {
    return this.m.get(key);
  }

  set(key: string, r: FrameResult): void {
    // a run into a whole kernel can make more summaries than memory holds; one lost is analysed again
    if (this.m.size >= MAX_SUMMARIES) this.m.clear();
    this.m.set(key, r);
  }
}

/**
 * What a frame's result is a function of: the function, the constants it
 * can act on (the others are undefined in `args`), and the part of the
 * caller's state it sees (`inner`, projected), and the hooks muted in it
 * (Engine's settledMask: their events inside are not in the summary).
 */
export function frameKey(fn: FunctionFact, args: readonly Val[], inner: State, muted = 0): string {
  return `${fn.file}:${fn.line}:${fn.name}|${args.join(',')}|${inner.key()}${muted ? `|m${muted}` : ''}`;
}

/** What every blind summary of an engine is also keyed on: the structs zero-allocated at its entry. */
export function freshKey(fresh: ReadonlySet<string> | undefined): string {
  return [...(fresh ?? [])].sort().join(',');
}

/**
 * A blind frame's key in the store shared between engines: its frameKey,
 * the engines' fresh structs (freshKey), and `build`, what of the vendor
 * and configuration the frame depends on (VendorFilter.buildKey).
 */
export function sharedKey(build: string, fresh: string, key: string): string {
  return `${build}|${fresh}|${key}`;
}
