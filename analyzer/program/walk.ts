// Visits every expression of a body in evaluation order (arguments before
// the call, right side before the assignment), carrying the #if conditions
// the expression sits under. Depth-bounded like everything that follows IR.

import type { Expr, Stmt } from '../parse/ir';

export type Visit = (e: Expr, cond: string[]) => void;

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
      if (s.f) walkStmt(s.f, [...cond, negate(s.cond)], v, d);
      return;
    default:
  }
}

/** `X` → `!X`, `!X` → `X`, anything else → `!(…)`: the form file-level conditions take. */
export function negate(c: string): string {
  if (/^!\w+$/.test(c)) return c.slice(1);
  return /^\w+$/.test(c) ? `!${c}` : `!(${c})`;
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
      v(e, cond);
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
      v(e, cond);
      return;
    default:
      v(e, cond);
  }
}


/** A switch body's statements with each case label's block opened: the labels and what follows them, in order. */
export function flattenCases(body: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  for (const s of body) {
    // a loop, not push(...): 200,000 statements after one case label overflowed the stack as arguments
    if (s.k === 'block' && s.body.length && s.body[0].k === 'case') for (const c of flattenCases(s.body)) out.push(c);
    else out.push(s);
  }
  return out;
}

/**
 * A switch body's labels and statements in order, with the cases under an
 * `#if` among them opened too (both sides): what a dispatcher's cases are,
 * for finding its handlers and for running one case of it.
 */
export function switchCases(body: Stmt, depth = 0): Stmt[] {
  const out: Stmt[] = [];
  for (const x of body.k === 'block' ? flattenCases(body.body) : [body]) {
    if (x.k !== 'pp' || depth > 600) {
      out.push(x);
      continue;
    }
    for (const side of x.f ? [x.t, x.f] : [x.t]) for (const y of switchCases(side, depth + 1)) out.push(y);
  }
  return out;
}
