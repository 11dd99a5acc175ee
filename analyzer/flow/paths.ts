// What a statement hands on: the state that falls through and the states
// that leave by return, break, continue or goto, and their joins.

import { merge, type State } from './state';
import type { Val } from './hooks';
import type { RetSplit } from './summaries';
import { NEG } from './values';

export interface Flow {
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

export function emptyFlow(next: State | null): Flow {
  return { next, ret: null, retVal: 'none', rets: { zero: null, err: null, other: null }, brk: null, cont: null, gotos: new Map() };
}

export function joinSplit(a: RetSplit, b: RetSplit): RetSplit {
  return { zero: merge(a.zero, b.zero), err: merge(a.err, b.err), other: merge(a.other, b.other) };
}

export function joinRet(a: Val | 'unknown' | 'none', b: Val | 'unknown' | 'none'): Val | 'unknown' | 'none' {
  if (a === 'none') return b;
  if (b === 'none') return a;
  return a === b ? a : 'unknown';
}

/** The sides of a test of a call's outcomes: `truth` of each outcome's value, unknown going both ways. */
export function splitBy(outcomes: { state: State; val: Val }[], truth: (v: Val) => Val): { t: State | null; f: State | null } {
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

/** Collect a statement's non-local exits (returns, breaks, gotos) into the enclosing flow. */
export function absorb(acc: Flow, f: Flow): void {
  acc.ret = merge(acc.ret, f.ret);
  acc.retVal = joinRet(acc.retVal, f.retVal);
  acc.rets = joinSplit(acc.rets, f.rets);
  acc.brk = merge(acc.brk, f.brk);
  acc.cont = merge(acc.cont, f.cont);
  for (const [l, g] of f.gotos) acc.gotos.set(l, merge(acc.gotos.get(l) ?? null, g)!);
}

export function joinFlows(a: Flow, b: Flow): Flow {
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
