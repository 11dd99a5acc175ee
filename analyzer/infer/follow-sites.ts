// Candidates for "a write of F is followed by a call of G before the function
// returns": for each assignment of a field in a body, the functions the same
// body calls after it. Only these pairs are followed on the paths, so the
// engine's state holds facts for the writes a path makes, not every pair.

import type { FunctionFact } from '../parse/ir';
import type { Program } from '../program/program';
import { qualifiedField, scopeOf } from '../program/callgraph';
import { walkStmt } from '../program/walk';

export interface WriteSite {
  /** `file:line:field`, the fact's name */
  id: string;
  field: string;
  line: number;
  follow: string[];
}

/** at most this many later calls are candidates for one write */
const MAX_FOLLOW = 16;

const memo = new WeakMap<FunctionFact, Map<string, WriteSite>>();

/** The write sites of `fn` with their candidate calls, by `line:field`. */
export function writeSites(p: Program, fn: FunctionFact): Map<string, WriteSite> {
  let m = memo.get(fn);
  if (m) return m;
  m = new Map();
  const sc = scopeOf(p, fn);
  const writes: { field: string; line: number }[] = [];
  const calls: { name: string; line: number }[] = [];
  walkStmt(fn.body, [], (e) => {
    if (e.k === 'assign' && e.lhs.k === 'field') {
      const q = qualifiedField(sc, e.lhs);
      if (q) writes.push({ field: q, line: e.line });
    } else if (e.k === 'call' && e.fn.k === 'id') calls.push({ name: e.fn.name, line: e.line });
  });
  for (const w of writes) {
    const follow: string[] = [];
    for (const c of calls) {
      if (c.line <= w.line || follow.includes(c.name)) continue;
      if (!p.functions.has(c.name)) continue;
      follow.push(c.name);
      if (follow.length >= MAX_FOLLOW) break;
    }
    if (follow.length) m.set(`${w.line}:${w.field}`, { id: `${fn.file}:${w.line}:${w.field}`, field: w.field, line: w.line, follow });
  }
  memo.set(fn, m);
  return m;
}
