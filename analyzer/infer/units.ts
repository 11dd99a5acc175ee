// Where an event sits on an entry's paths. An entry that dispatches (a switch
// over one of its parameters with many cases: an ioctl, a hypercall, an exit
// reason) is not one path but one per handler it calls, and a belief is
// counted per handler: the first frame under the entry's chain of
// dispatchers is the event's unit.

import type { Expr, FunctionFact, Stmt } from '../parse/ir';
import { walkStmt } from '../program/walk';
import type { Frame, Site } from '../flow/hooks';

/** this many case labels in a switch over a parameter make a function a dispatcher */
export const DISPATCH_CASES = 8;

type SwitchStmt = Extract<Stmt, { k: 'switch' }>;

const memo = new WeakMap<FunctionFact, SwitchStmt[]>();

/** The switches of `fn` over one of its parameters with DISPATCH_CASES labels or more (a nested one is its case's). */
function dispatchingSwitches(fn: FunctionFact): SwitchStmt[] {
  let found = memo.get(fn);
  if (found) return found;
  const params = new Set(fn.params.map((p) => p.name).filter(Boolean));
  const out: SwitchStmt[] = [];
  const look = (s: Stmt, depth: number): void => {
    if (depth > 200) return;
    if (s.k === 'switch' && s.e.k === 'id' && params.has(s.e.name) && countCases(s.body) >= DISPATCH_CASES) {
      out.push(s);
      return;
    }
    for (const c of children(s)) look(c, depth + 1);
  };
  look(fn.body, 0);
  memo.set(fn, (found = out));
  return found;
}

export function isDispatcher(fn: FunctionFact): boolean {
  return dispatchingSwitches(fn).length > 0;
}

const armMemo = new WeakMap<FunctionFact, WeakSet<Expr>>();

/**
 * Whether `e` is part of a dispatcher's code inside its dispatching switch:
 * a case's own test (`case KVM_SET_LAPIC: if (!lapic_in_kernel(vcpu)) goto
 * out;`) is its handler's guard, as if the case were a function of its own;
 * the dispatcher's code before the switch comes before every handler.
 */
export function inDispatchArm(fn: FunctionFact, e: Expr): boolean {
  let s = armMemo.get(fn);
  if (!s) {
    const arms = new WeakSet<Expr>();
    for (const sw of dispatchingSwitches(fn)) walkStmt(sw.body, [], (x) => arms.add(x));
    armMemo.set(fn, (s = arms));
  }
  return s.has(e);
}

function children(s: Stmt): Stmt[] {
  switch (s.k) {
    case 'block': return s.body;
    case 'if': return s.f ? [s.t, s.f] : [s.t];
    case 'while': case 'switch': return [s.body];
    case 'for': return s.init ? [s.init, s.body] : [s.body];
    case 'label': return [];
    case 'pp': return s.f ? [s.t, s.f] : [s.t];
    default: return [];
  }
}

function countCases(body: Stmt): number {
  let n = 0;
  const visit = (s: Stmt, depth: number): void => {
    if (depth > 200) return;
    if (s.k === 'case') n++;
    // a nested switch's cases are its own
    if (s.k === 'switch') return;
    for (const c of children(s)) visit(c, depth + 1);
  };
  visit(body, 0);
  return n;
}

/** Index in the stack of the unit's frame: the first frame that is not a dispatcher (the stack's length when all are). */
export function unitIndex(stack: readonly Frame[]): number {
  let i = 0;
  while (i < stack.length && isDispatcher(stack[i].fn)) i++;
  // an entry that does not dispatch is its own single unit
  return i;
}

/**
 * The unit of an event at `at` (a handler's name, or the entry's when it does
 * not dispatch) and the path it is counted on: the unit, the chain of calls
 * under it and the site. Paths that differ only in a dispatcher's case above
 * the unit are one. `callee` names the unit when the event is a call
 * made by a dispatcher itself.
 */
export function placeOf(at: Site, callee?: string): { unit: string; path: string } {
  const st = at.stack;
  const u = unitIndex(st);
  const unit = u < st.length ? st[u].fn.name : (callee ?? `${st[st.length - 1].fn.name}:${at.line}`);
  const below: string[] = [];
  for (let i = u + 1; i < st.length; i++) below.push(st[i].fn.name);
  return { unit, path: `${unit}>${below.join('>')}>${at.fn.file}:${at.line}` };
}
