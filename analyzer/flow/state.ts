// Abstract state the engine carries along a path. Facts are three-valued so
// that "on every path" questions have an answer after paths merge: 1 means
// true on every path that reached here, 0 on none, 2 on some.

export type Tri = 0 | 1 | 2;

/** What is known of a bit-set field: all ones, all zeros, or per-bit. */
export interface Bits {
  all: 0 | 1 | null;
  set: string[];
  clear: string[];
}

/** A local variable's known value: a number or a symbol (`sym:NAME`, an enumerator). */
export type LocalVal = number | `sym:${string}`;

const NO_LOCALS: ReadonlyMap<string, LocalVal> = new Map();

/**
 * A map's part of a state key, by the map: clones and projections share
 * their maps until one writes, so most keys are made of parts already seen.
 * A map is written in place only by the one state that owns it (its
 * `owned` bit), which drops the map's entry first.
 */
const partKeys = new WeakMap<ReadonlyMap<string, unknown>, string>();

function partKey<T>(m: ReadonlyMap<string, T>, show: (k: string, v: T) => string): string {
  let s = partKeys.get(m);
  if (s === undefined) {
    s = [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => show(k, v)).join(';');
    partKeys.set(m, s);
  }
  return s;
}

export class State {
  // Copy-on-write: a clone shares the maps until either side writes. Paths
  // fork at every unknown branch and most forks never write.
  private f: Map<string, Tri>;
  private b: Map<string, Bits>;
  private v: Map<string, number | string | null>;
  /**
   * The current frame's locals with a known value. They belong to the path
   * like every other fact: copied at a branch, kept at a join only where
   * both sides agree. A callee never sees its caller's (project) and its own
   * are gone when it returns (withoutLocals).
   */
  private l: ReadonlyMap<string, LocalVal>;
  private owned = 0; // bit 1 facts, 2 bits, 4 vals, 8 locals: this state may write in place
  private cachedKey: string | null = null;

  constructor(
    facts: Map<string, Tri> = new Map(),
    bits: Map<string, Bits> = new Map(),
    /** known constant values of fields (`struct.member`); null: written, value unknown */
    vals: Map<string, number | string | null> = new Map(),
    locals: ReadonlyMap<string, LocalVal> = NO_LOCALS,
  ) {
    this.f = facts;
    this.b = bits;
    this.v = vals;
    this.l = locals;
    // the locals may be another state's (applyProjected hands the caller's on): copied at the first write
    this.owned = 7;
  }

  get locals(): ReadonlyMap<string, LocalVal> {
    return this.l;
  }

  /** A local's known value; undefined when it has none on this path. */
  local(name: string): LocalVal | undefined {
    return this.l.get(name);
  }

  setLocal(name: string, v: LocalVal | undefined): void {
    if (this.l.get(name) === v) return;
    if (!(this.owned & 8)) { this.l = new Map(this.l); this.owned |= 8; } else partKeys.delete(this.l);
    this.cachedKey = null;
    if (v === undefined) (this.l as Map<string, LocalVal>).delete(name);
    else (this.l as Map<string, LocalVal>).set(name, v);
  }

  /** This state as its frame leaves it: the locals go with the frame. */
  withoutLocals(): State {
    if (this.l.size === 0) return this;
    const c = this.clone();
    c.l = NO_LOCALS;
    c.cachedKey = null;
    return c;
  }

  /** The maps themselves, for project() and applyProjected() alone, which hand them on through sharing(). */
  get ownMaps(): { f: Map<string, Tri>; b: Map<string, Bits>; v: Map<string, number | string | null> } {
    return { f: this.f, b: this.b, v: this.v };
  }

  get facts(): ReadonlyMap<string, Tri> {
    return this.f;
  }

  get bits(): ReadonlyMap<string, Bits> {
    return this.b;
  }

  get vals(): ReadonlyMap<string, number | string | null> {
    return this.v;
  }

  clone(): State {
    const c = new State(this.f, this.b, this.v, this.l);
    c.owned = 0;
    this.owned = 0;
    c.cachedKey = this.cachedKey;
    return c;
  }

  get(k: string): Tri {
    return this.f.get(k) ?? 0;
  }

  set(k: string, v: Tri): void {
    if (this.get(k) === v) return;
    if (!(this.owned & 1)) { this.f = new Map(this.f); this.owned |= 1; } else partKeys.delete(this.f);
    this.cachedKey = null;
    if (v === 0) this.f.delete(k);
    else this.f.set(k, v);
  }

  setBits(k: string, v: Bits | undefined): void {
    if (v === undefined && !this.b.has(k)) return;
    if (!(this.owned & 2)) { this.b = new Map(this.b); this.owned |= 2; } else partKeys.delete(this.b);
    this.cachedKey = null;
    if (v === undefined) this.b.delete(k);
    else this.b.set(k, v);
  }

  setVal(k: string, v: number | string | null): void {
    if (this.v.has(k) && this.v.get(k) === v) return;
    if (!(this.owned & 4)) { this.v = new Map(this.v); this.owned |= 4; } else partKeys.delete(this.v);
    this.cachedKey = null;
    this.v.set(k, v);
  }

  /** Whether this state still holds `other`'s maps of fields: neither has written one since one was cloned from the other. */
  sameAs(other: State): boolean {
    return this.f === other.f && this.b === other.b && this.v === other.v;
  }

  key(): string {
    if (this.cachedKey !== null) return this.cachedKey;
    const f = partKey(this.f, (k, v) => `${k}=${v}`);
    const b = partKey(this.b, (k, v) => `${k}:${v.all}:${[...v.set].sort().join(',')}:${[...v.clear].sort().join(',')}`);
    const v = partKey(this.v, (k, x) => `${k}=${x}`);
    const l = this.l.size ? `|${partKey(this.l, (k, x) => `${k}=${x}`)}` : '';
    this.cachedKey = `${f}|${b}|${v}${l}`;
    return this.cachedKey;
  }

  /**
   * A state of `facts`, `bits` and `vals`, any of which may be `src`'s own
   * map: a shared map is then written in place by neither (each copies it
   * at its first write), as after clone().
   */
  static sharing(src: State, facts: Map<string, Tri>, bits: Map<string, Bits>, vals: Map<string, number | string | null>,
    locals: ReadonlyMap<string, LocalVal> = NO_LOCALS): State {
    const c = new State(facts, bits, vals, locals);
    const shared = (facts === src.f ? 1 : 0) | (bits === src.b ? 2 : 0) | (vals === src.v ? 4 : 0);
    c.owned &= ~shared;
    src.owned &= ~shared;
    return c;
  }
}

/** `m` itself when `ok` keeps every entry, else a new map of those it keeps. */
function kept<T>(m: Map<string, T>, ok: (k: string, v: T) => boolean): Map<string, T> {
  let all = true;
  for (const [k, v] of m) if (!ok(k, v)) { all = false; break; }
  if (all) return m;
  const out = new Map<string, T>();
  for (const [k, v] of m) if (ok(k, v)) out.set(k, v);
  return out;
}

/**
 * The part of `st` a callee can observe: every fact, and the fields `keep` says.
 * `unknownIsAbsent`: fields whose "written, value unknown" (null) reads the
 * same as no entry (any field not zero-allocated), left out so that states
 * differing only in which unknown fields a path once tracked are one key.
 */
export function project(st: State, keep: (k: string) => boolean, keepFact: (k: string) => boolean = () => true,
  unknownIsAbsent?: (k: string) => boolean): State {
  // a map every entry of which the callee sees is the callee's too, until one side writes
  const own = st.ownMaps;
  const facts = kept(own.f, keepFact);
  const vals = kept(own.v, (k, v) => keep(k) && (v !== null || !unknownIsAbsent?.(k)));
  const bits = kept(own.b, keep);
  return State.sharing(st, facts, bits, vals);
}

/** `outer` after a callee that saw `project(outer, keep)` and left `inner`. */
export function applyProjected(outer: State, inner: State, keep: (k: string) => boolean, keepFact: (k: string) => boolean = () => true): State {
  const seen = inner.ownMaps.f;
  let facts = seen;
  // the facts the callee did not see are the caller's, as they were
  for (const [k, v] of outer.facts) {
    if (keepFact(k)) continue;
    if (facts === seen) facts = new Map(seen);
    facts.set(k, v);
  }
  const vals = new Map<string, number | string | null>();
  const bits = new Map<string, Bits>();
  for (const [k, v] of outer.vals) if (!keep(k)) vals.set(k, v);
  for (const [k, v] of outer.bits) if (!keep(k)) bits.set(k, v);
  for (const [k, v] of inner.vals) vals.set(k, v);
  for (const [k, v] of inner.bits) bits.set(k, v);
  // the caller's locals: the callee never saw them
  return State.sharing(inner, facts, bits, vals, outer.locals);
}

export function merge(a: State | null, b: State | null): State | null {
  if (!a) return b;
  if (!b) return a;
  if (a === b || (a.facts === b.facts && a.bits === b.bits && a.vals === b.vals && a.locals === b.locals)) return a;
  const facts = new Map<string, Tri>();
  const vals = new Map<string, number | string | null>();
  const bits = new Map<string, Bits>();
  for (const [k, x] of a.facts) {
    const y = b.get(k);
    facts.set(k, x === y ? x : 2);
  }
  for (const k of b.facts.keys()) if (!a.facts.has(k)) facts.set(k, 2);
  for (const [k, x] of a.vals) {
    // a field one side never wrote keeps its entry value there, unknown here
    const y = b.vals.has(k) ? b.vals.get(k)! : undefined;
    vals.set(k, x !== undefined && x === y ? x : null);
  }
  for (const k of b.vals.keys()) if (!a.vals.has(k)) vals.set(k, null);
  for (const [k, x] of a.bits) {
    const y = b.bits.get(k);
    if (!y) continue; // unknown on one side: unknown
    const all = x.all === y.all ? x.all : null;
    const set = x.set.filter((s) => y.set.includes(s) || (y.all === 1));
    const clear = x.clear.filter((s) => y.clear.includes(s) || (y.all === 0));
    const set2 = y.set.filter((s) => x.all === 1 && !set.includes(s));
    const clear2 = y.clear.filter((s) => x.all === 0 && !clear.includes(s));
    if (all !== null || set.length || clear.length || set2.length || clear2.length) {
      bits.set(k, { all, set: [...set, ...set2], clear: [...clear, ...clear2] });
    }
  }
  let locals: ReadonlyMap<string, LocalVal> = NO_LOCALS;
  if (a.locals === b.locals) locals = a.locals;
  else if (a.locals.size && b.locals.size) {
    // a local keeps its value after a join only where every side agrees on it
    const m = new Map<string, LocalVal>();
    for (const [k, x] of a.locals) if (b.locals.get(k) === x) m.set(k, x);
    if (m.size) locals = m;
  }
  return new State(facts, bits, vals, locals);
}

export function mergeAll(states: (State | null)[]): State | null {
  let acc: State | null = null;
  for (const s of states) acc = merge(acc, s);
  return acc;
}

export function testBit(b: Bits | undefined, bit: string | null): 0 | 1 | null {
  if (!b) return null;
  if (bit !== null) {
    if (b.set.includes(bit)) return 1;
    if (b.clear.includes(bit)) return 0;
  }
  return b.all;
}
