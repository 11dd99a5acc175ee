// The fields a function can touch: every field it names, and every field
// its callees (through any resolved edge, ops edges of every vendor
// included) can touch. The engine keys a callee's summary on the part of
// the state inside this set; the rest passes through the call unchanged, so
// a helper called from a hundred places with a hundred different states is
// still analysed once.

import type { FunctionFact } from '../parse/ir';
import type { Program } from '../program/program';
import { walkStmt } from '../program/walk';
import { qualifiedField, resolveCall, scopeOf } from '../program/callgraph';

export class Footprints {
  private sets = new Map<FunctionFact, Set<string>>();

  constructor(private p: Program) {}

  of(fn: FunctionFact): Set<string> {
    const known = this.sets.get(fn);
    if (known) return known;
    this.compute(fn);
    return this.sets.get(fn)!;
  }

  /** Tarjan's SCCs, iteratively: a recursive cycle shares one set. */
  private compute(root: FunctionFact): void {
    const index = new Map<FunctionFact, number>();
    const low = new Map<FunctionFact, number>();
    const onStack = new Set<FunctionFact>();
    const stack: FunctionFact[] = [];
    const own = new Map<FunctionFact, { fields: Set<string>; callees: FunctionFact[] }>();
    let next = 0;
    type Item = { fn: FunctionFact; i: number };
    const work: Item[] = [];
    const enter = (fn: FunctionFact) => {
      index.set(fn, next);
      low.set(fn, next);
      next++;
      stack.push(fn);
      onStack.add(fn);
      own.set(fn, this.direct(fn));
      work.push({ fn, i: 0 });
    };
    enter(root);
    while (work.length) {
      const top = work[work.length - 1];
      const callees = own.get(top.fn)!.callees;
      if (top.i < callees.length) {
        const c = callees[top.i++];
        if (this.sets.has(c)) continue;
        if (!index.has(c)) enter(c);
        else if (onStack.has(c)) low.set(top.fn, Math.min(low.get(top.fn)!, index.get(c)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].fn;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.fn)!));
      }
      if (low.get(top.fn) !== index.get(top.fn)) continue;
      const members: FunctionFact[] = [];
      let m: FunctionFact;
      do {
        m = stack.pop()!;
        onStack.delete(m);
        members.push(m);
      } while (m !== top.fn);
      const set = new Set<string>();
      for (const f of members) {
        const o = own.get(f)!;
        for (const q of o.fields) set.add(q);
        for (const c of o.callees) {
          const cs = this.sets.get(c);
          if (cs) for (const q of cs) set.add(q);
        }
      }
      for (const f of members) this.sets.set(f, set);
    }
  }

  private direct(fn: FunctionFact): { fields: Set<string>; callees: FunctionFact[] } {
    const sc = scopeOf(this.p, fn);
    const fields = new Set<string>();
    const callees = new Set<FunctionFact>();
    walkStmt(fn.body, [], (e) => {
      if (e.k === 'field') {
        const q = qualifiedField(sc, e);
        if (q) fields.add(q);
      } else if (e.k === 'call') {
        for (const t of resolveCall(sc, e).targets) callees.add(t.fn);
      }
    });
    return { fields, callees: [...callees] };
  }
}
