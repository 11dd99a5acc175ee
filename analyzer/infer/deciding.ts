// Which tests decide what comes after them. A guard is a test the state
// change is control-dependent on: one outcome of it leads away from the
// change. A test that merely dominates a write (both outcomes meet again
// before it) decides nothing about it, and counting it made most guard
// beliefs noise ("a write comes after a test of kvm_vcpu.arch").
//
// The engine reports a branch per atom of a condition, with no hook where the
// arms meet again, so the test that is known to decide is the one with an arm
// that never meets the other: an `if` one of whose arms always leaves the
// function (ends in `return` or `goto`). Every write reached after it, in the
// frame and in what the frame calls, is on the outcome that stayed.

import type { Expr, FunctionFact, Stmt } from '../parse/ir';

const memo = new WeakMap<FunctionFact, WeakSet<Expr>>();

/** Whether `atom` (a condition as the engine branches on it) is part of a deciding test of `fn`. */
export function isDeciding(fn: FunctionFact, atom: Expr): boolean {
  let s = memo.get(fn);
  if (!s) memo.set(fn, (s = decidingAtoms(fn.body)));
  return s.has(atom);
}

function decidingAtoms(body: Stmt): WeakSet<Expr> {
  const out = new WeakSet<Expr>();
  const visit = (s: Stmt, depth: number): void => {
    if (depth > 200) return;
    switch (s.k) {
      case 'block': for (const c of s.body) visit(c, depth + 1); return;
      case 'if':
        if (leaves(s.t, 0) || (s.f && leaves(s.f, 0))) atomsOf(s.c, out, 0);
        visit(s.t, depth + 1);
        if (s.f) visit(s.f, depth + 1);
        return;
      case 'while': case 'switch': visit(s.body, depth + 1); return;
      case 'for': visit(s.body, depth + 1); return;
      case 'pp': visit(s.t, depth + 1); if (s.f) visit(s.f, depth + 1); return;
      default: return;
    }
  };
  visit(body, 0);
  return out;
}

/** The statement always ends in a return or a goto (it never falls through to what follows). */
function leaves(s: Stmt, depth: number): boolean {
  if (depth > 200) return false;
  switch (s.k) {
    case 'return': case 'goto': return true;
    case 'block': return s.body.length > 0 && leaves(s.body[s.body.length - 1], depth + 1);
    case 'if': return !!s.f && leaves(s.t, depth + 1) && leaves(s.f, depth + 1);
    case 'pp': return !!s.f && leaves(s.t, depth + 1) && leaves(s.f, depth + 1);
    default: return false;
  }
}

/** The parts of a condition the engine branches on: through `!`, `&&` and `||`, as its cond() splits them. */
function atomsOf(e: Expr, out: WeakSet<Expr>, depth: number): void {
  if (depth > 200) return;
  out.add(e);
  if (e.k === 'unary' && e.op === '!') atomsOf(e.e, out, depth + 1);
  else if (e.k === 'binary' && (e.op === '&&' || e.op === '||')) {
    atomsOf(e.l, out, depth + 1);
    atomsOf(e.r, out, depth + 1);
  }
}
