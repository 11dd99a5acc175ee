// A rule's handlers as the engine calls them: each event goes to a rule
// only when it is one the rule declared (KindHooks.events), and the rule's
// Watch, which decides which callees are blind to it, is that declaration
// with the rule's facts (FactSpace). What the handlers see and what the
// summaries keep come from one list, so they cannot disagree.

import type { Expr } from '../parse/ir';
import { qualifiedField, resolveCall, type CallInfo, type Scope } from '../program/callgraph';
import { walkExpr } from '../program/walk';
import type { Footprints, Watch } from './footprint';
import type { FactSpace } from './facts';
import type { CallEvent, Events, KindHooks, RuleHooks } from './hooks';

const NONE: ReadonlySet<string> = new Set();

/** Whether a call is one of the events: by the name called, the hook, or any target's name (as a footprint names it). */
export function callWatched(ev: Events, info: CallInfo): boolean {
  const calls = ev.calls;
  return !!calls && ((!!info.name && calls(info.name)) || (!!info.hook && calls(info.hook)) || info.targets.some((t) => calls(t.fn.name)));
}

export function confined(id: string, k: KindHooks, facts: FactSpace, footprints: Footprints): RuleHooks {
  const ev = k.events;
  const watch: Watch & { facts(key: string): boolean } = { key: id, ...ev, facts: (key) => facts.owns(key) };
  const fields = ev.fields ?? NONE;
  const idents = ev.idents ?? NONE;
  const callMemo = new WeakMap<CallInfo, boolean>();
  const callSeen = (info: CallInfo): boolean => {
    let v = callMemo.get(info);
    if (v === undefined) callMemo.set(info, (v = callWatched(ev, info)));
    return v;
  };
  const condMemo = new WeakMap<Expr, boolean>();
  // a condition is the rule's when it names what the rule watches, or calls what does or reaches it
  const condSeen = (cond: Expr, sc: Scope): boolean => {
    let v = condMemo.get(cond);
    if (v === undefined) {
      let hit = false;
      walkExpr(cond, [], (x) => {
        if (hit) return;
        if (x.k === 'id') hit = idents.has(x.name);
        else if (x.k === 'field') {
          const q = qualifiedField(sc, x);
          hit = !!q && fields.has(q);
        } else if (x.k === 'call') {
          const info = resolveCall(sc, x);
          hit = callSeen(info) || info.targets.some((t) => footprints.touches(t.fn, watch));
        }
      });
      condMemo.set(cond, (v = hit));
    }
    return v;
  };
  const h: RuleHooks = { watch };
  const settled = k.settled;
  if (settled) {
    // its own key: footprints remember per watch which callees it touches
    const narrow: Watch = { key: `${id}:settled`, ...settled.events };
    h.settled = (st) => (settled.holds(st) ? narrow : null);
  }
  const { onRead, onWrite, onCall, onCallReturn, onBranch, onEntryReturn, onRunEnd } = k;
  if (onRead) h.onRead = (q, st, at) => { if (fields.has(q)) onRead.call(k, q, st, at); };
  if (onWrite) h.onWrite = (q, st, at, how, value) => { if (fields.has(q)) onWrite.call(k, q, st, at, how, value); };
  if (onCall) h.onCall = (c: CallEvent, st, at) => { if (callSeen(c.info)) onCall.call(k, c, st, at); };
  if (onCallReturn) h.onCallReturn = (c: CallEvent, st, at) => { if (callSeen(c.info)) onCallReturn.call(k, c, st, at); };
  if (onBranch) h.onBranch = (cond, taken, st, sc) => { if (condSeen(cond, sc)) onBranch.call(k, cond, taken, st, sc); };
  if (onEntryReturn) h.onEntryReturn = (st, at) => onEntryReturn.call(k, st, at);
  if (onRunEnd) h.onRunEnd = () => onRunEnd.call(k);
  return h;
}

