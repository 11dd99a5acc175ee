// Constant values the interpreter computes with: numbers, enumerator names
// (`sym:NAME`) and the errno marker.

import type { Val } from './hooks';

/** A value known to be a negative errno (`return -ENOMEM;`): non-zero, below 0. */
export const NEG: Val = 'sym:<errno>';

export function toVal(v: number | boolean | string | undefined): Val {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return `sym:${v}`;
}

export function symOf(v: Val): string | null {
  if (v === undefined) return null;
  return typeof v === 'number' ? String(v) : v.slice(4);
}

export const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** `sym:!X`: a value known not to be X (a mode's field in the runs where it is not). */
export function notEqual(a: Val, b: Val): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  return (a.startsWith('sym:!') && a.slice(5) === b.slice(4) && !b.startsWith('sym:!')) ||
    (b.startsWith('sym:!') && b.slice(5) === a.slice(4) && !a.startsWith('sym:!'));
}

export function binop(op: string, a: Val, b: Val): Val {
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
