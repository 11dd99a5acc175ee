// What a function can touch, through everything it calls (ops edges of
// every vendor included): the fields it names, and for each rule whether
// anything the rule watches happens inside it at all. The engine keys a
// callee's summary on the part of the state inside this footprint and
// passes the rest through the call unchanged, so a helper called from a
// hundred places with a hundred different states is still analysed once.

import type { FunctionFact } from '../parse/ir';
import type { Program } from '../program/program';
import { walkStmt } from '../program/walk';
import { qualifiedField, resolveCall, scopeOf } from '../program/callgraph';

/** What a rule reacts to; a callee where none of it happens cannot change or read the rule's facts. */
export interface Watch {
  /** a stable name for caching: the rule id */
  key: string;
  fields?: ReadonlySet<string>;
  /** names of called functions, macros or `struct.member` hooks */
  calls?: (name: string) => boolean;
  /** identifiers whose mention in a condition matters */
  idents?: ReadonlySet<string>;
}

/** In a footprint, for a function that makes an ops call: no field is named so. */
const OPS_CALL = '\u0000ops call';

interface Direct {
  fields: Set<string>;
  names: Set<string>;
  idents: Set<string>;
  callees: FunctionFact[];
}

export class Footprints {
  private sets = new Map<FunctionFact, Set<string>>();
  private direct = new Map<FunctionFact, Direct>();
  private relevant = new Map<string, Set<FunctionFact>>();
  private callers: Map<FunctionFact, FunctionFact[]> | null = null;

  constructor(private p: Program) {}

  /** Every field `fn` or its callees name. */
  of(fn: FunctionFact): Set<string> {
    const known = this.sets.get(fn);
    if (known) return known;
    this.compute(fn);
    return this.sets.get(fn)!;
  }

  /** Whether `fn` or a callee calls through an ops table: only then can the vendor chosen matter inside. */
  reachesOps(fn: FunctionFact): boolean {
    return this.of(fn).has(OPS_CALL);
  }

  /** Whether anything `w` watches can happen while `fn` runs. */
  touches(fn: FunctionFact, w: Watch): boolean {
    let set = this.relevant.get(w.key);
    if (!set) this.relevant.set(w.key, (set = this.relevantTo(w)));
    return set.has(fn);
  }

  /** Functions where a watched event happens directly, and every function that can call them. */
  private relevantTo(w: Watch): Set<FunctionFact> {
    const callers = this.callerMap();
    const out = new Set<FunctionFact>();
    const work: FunctionFact[] = [];
    for (const fn of callers.keys()) {
      const d = this.directOf(fn);
      const hit = (w.fields && [...d.fields].some((q) => w.fields!.has(q))) ||
        (w.calls && [...d.names].some((n) => w.calls!(n))) ||
        (w.idents && [...d.idents].some((i) => w.idents!.has(i)));
      if (hit) {
        out.add(fn);
        work.push(fn);
      }
    }
    while (work.length) {
      for (const c of callers.get(work.pop()!) ?? []) {
        if (!out.has(c)) {
          out.add(c);
          work.push(c);
        }
      }
    }
    return out;
  }

  private callerMap(): Map<FunctionFact, FunctionFact[]> {
    if (this.callers) return this.callers;
    const m = new Map<FunctionFact, FunctionFact[]>();
    for (const f of this.p.files) for (const fn of f.functions) if (!m.has(fn)) m.set(fn, []);
    for (const fn of [...m.keys()]) {
      for (const c of this.directOf(fn).callees) {
        let l = m.get(c);
        if (!l) m.set(c, (l = []));
        l.push(fn);
      }
    }
    this.callers = m;
    return m;
  }

  /** Tarjan's SCCs, iteratively: a recursive cycle shares one set. */
  private compute(root: FunctionFact): void {
    const index = new Map<FunctionFact, number>();
    const low = new Map<FunctionFact, number>();
    const onStack = new Set<FunctionFact>();
    const stack: FunctionFact[] = [];
    let next = 0;
    const work: { fn: FunctionFact; i: number }[] = [];
    const enter = (fn: FunctionFact) => {
      index.set(fn, next);
      low.set(fn, next);
      next++;
      stack.push(fn);
      onStack.add(fn);
      work.push({ fn, i: 0 });
    };
    enter(root);
    while (work.length) {
      const top = work[work.length - 1];
      const callees = this.directOf(top.fn).callees;
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
        const d = this.directOf(f);
        for (const q of d.fields) set.add(q);
        for (const c of d.callees) {
          const cs = this.sets.get(c);
          if (cs) for (const q of cs) set.add(q);
        }
      }
      for (const f of members) this.sets.set(f, set);
    }
  }

  private directOf(fn: FunctionFact): Direct {
    const known = this.direct.get(fn);
    if (known) return known;
    const sc = scopeOf(this.p, fn);
    const d: Direct = { fields: new Set(), names: new Set(), idents: new Set(), callees: [] };
    const callees = new Set<FunctionFact>();
    walkStmt(fn.body, [], (e) => {
      if (e.k === 'field') {
        const q = qualifiedField(sc, e);
        if (q) d.fields.add(q);
      } else if (e.k === 'call') {
        const info = resolveCall(sc, e);
        if (info.name) d.names.add(info.name);
        if (info.hook) d.names.add(info.hook);
        for (const t of info.targets) {
          callees.add(t.fn);
          d.names.add(t.fn.name);
          if (t.kind === 'ops') d.fields.add(OPS_CALL);
        }
      } else if (e.k === 'id') d.idents.add(e.name);
    });
    d.callees = [...callees];
    this.direct.set(fn, d);
    return d;
  }
}
