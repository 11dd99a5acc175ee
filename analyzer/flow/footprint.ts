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
  /** an observer's (infer): every event anywhere, so no callee is blind to it */
  all?: boolean;
  /**
   * what the hook makes of an event depends on the functions on the stack
   * (infer counts it per handler and chain): a callee's summary then holds
   * for one chain of callers only, since a summary taken over skips the walk
   * and its events
   */
  stack?: boolean;
}

/** In a footprint, for a function that makes an ops call: no field is named so. */
const OPS_CALL = '\u0000ops call';

const MAX_FIELDS = 512;

/** The footprint of a function that reaches more than MAX_FIELDS fields: it holds them all. */
const EVERY_FIELD: Set<string> = new (class extends Set<string> {
  override has(): boolean {
    return true;
  }

  override add(): this {
    return this;
  }
})();

interface Direct {
  fields: Set<string>;
  names: Set<string>;
  idents: Set<string>;
  callees: FunctionFact[];
}

export class Footprints {
  private sets = new Map<FunctionFact, Set<string>>();
  private direct = new Map<FunctionFact, Direct>();
  private relevant = new Map<string, Map<FunctionFact, boolean>>();

  constructor(private p: Program) {}

  /**
   * Every field `fn` or its callees name; past MAX_FIELDS, every field there
   * is (EVERY_FIELD). A caller high in a whole kernel's call graph reaches
   * tens of thousands of fields, and a set for each such function does not
   * fit in memory; keeping all of a state for a callee is always right, only
   * its summary is shared less.
   */
  of(fn: FunctionFact): ReadonlySet<string> {
    return this.fold<Set<string>>(fn, this.sets, (f) => {
      const d = this.directOf(f).fields;
      return d.size > MAX_FIELDS ? EVERY_FIELD : new Set(d);
    }, (acc, other) => {
      if (acc === EVERY_FIELD || other === EVERY_FIELD) return EVERY_FIELD;
      for (const q of other) acc.add(q);
      return acc.size > MAX_FIELDS ? EVERY_FIELD : acc;
    });
  }

  /**
   * Whether `fn` or a callee is one of `targets`, memoised under `key` (one
   * key for one set): a role's pinned dispatchers, below which a summary
   * depends on the cases the run is pinned to.
   */
  reaches(fn: FunctionFact, targets: ReadonlySet<FunctionFact>, key: string): boolean {
    let memo = this.relevant.get(key);
    if (!memo) this.relevant.set(key, (memo = new Map()));
    return this.fold(fn, memo, (f) => targets.has(f), (a, b) => a || b);
  }

  /** Whether `fn` or a callee calls through an ops table: only then can the vendor chosen matter inside. */
  reachesOps(fn: FunctionFact): boolean {
    return this.of(fn).has(OPS_CALL);
  }

  /**
   * Whether anything `w` watches can happen while `fn` runs. Computed down
   * from the functions asked about, so the program's other functions are
   * never walked.
   */
  touches(fn: FunctionFact, w: Watch): boolean {
    if (w.all) return true;
    let memo = this.relevant.get(w.key);
    if (!memo) this.relevant.set(w.key, (memo = new Map()));
    return this.fold(fn, memo, (f) => {
      const d = this.directOf(f);
      return (!!w.fields && [...d.fields].some((q) => w.fields!.has(q))) ||
        (!!w.calls && [...d.names].some((n) => w.calls!(n))) ||
        (!!w.idents && [...d.idents].some((i) => w.idents!.has(i)));
    }, (a, b) => a || b);
  }

  /**
   * A value per function that takes in its callees' (`add`), memoised in
   * `memo`; a recursive cycle (a strongly connected component, by Tarjan's
   * algorithm, iteratively) shares one value.
   */
  private fold<T>(root: FunctionFact, memo: Map<FunctionFact, T>, own: (fn: FunctionFact) => T, add: (acc: T, other: T) => T): T {
    const known = memo.get(root);
    if (known !== undefined) return known;
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
        if (memo.has(c)) continue;
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
      let acc = own(members[0]);
      for (let i = 1; i < members.length; i++) acc = add(acc, own(members[i]));
      for (const f of members) {
        for (const c of this.directOf(f).callees) {
          const v = memo.get(c);
          if (v !== undefined) acc = add(acc, v);
        }
      }
      for (const f of members) memo.set(f, acc);
    }
    return memo.get(root)!;
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
