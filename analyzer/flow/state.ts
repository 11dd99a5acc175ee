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

export class State {
  constructor(
    readonly facts: Map<string, Tri> = new Map(),
    readonly bits: Map<string, Bits> = new Map(),
    /** known constant values of fields (`struct.member`); null: written, value unknown */
    readonly vals: Map<string, number | string | null> = new Map(),
  ) {}

  clone(): State {
    return new State(new Map(this.facts), new Map(this.bits), new Map(this.vals));
  }

  get(k: string): Tri {
    return this.facts.get(k) ?? 0;
  }

  set(k: string, v: Tri): void {
    if (v === 0) this.facts.delete(k);
    else this.facts.set(k, v);
  }

  key(): string {
    const f = [...this.facts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
    const b = [...this.bits.entries()].sort((a, b2) => (a[0] < b2[0] ? -1 : 1))
      .map(([k, v]) => `${k}:${v.all}:${[...v.set].sort().join(',')}:${[...v.clear].sort().join(',')}`);
    const v = [...this.vals.entries()].sort((a, b2) => (a[0] < b2[0] ? -1 : 1)).map(([k, x]) => `${k}=${x}`);
    return `${f.join(';')}|${b.join(';')}|${v.join(';')}`;
  }
}

export function merge(a: State | null, b: State | null): State | null {
  if (!a) return b;
  if (!b) return a;
  const out = new State();
  const keys = new Set([...a.facts.keys(), ...b.facts.keys()]);
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    out.set(k, x === y ? x : 2);
  }
  for (const k of new Set([...a.vals.keys(), ...b.vals.keys()])) {
    // a field one side never wrote keeps its entry value there, unknown here
    const x = a.vals.has(k) ? a.vals.get(k)! : undefined;
    const y = b.vals.has(k) ? b.vals.get(k)! : undefined;
    out.vals.set(k, x !== undefined && x === y ? x : null);
  }
  for (const [k, x] of a.bits) {
    const y = b.bits.get(k);
    if (!y) continue; // unknown on one side: unknown
    const all = x.all === y.all ? x.all : null;
    const set = x.set.filter((s) => y.set.includes(s) || (y.all === 1));
    const clear = x.clear.filter((s) => y.clear.includes(s) || (y.all === 0));
    const set2 = y.set.filter((s) => x.all === 1 && !set.includes(s));
    const clear2 = y.clear.filter((s) => x.all === 0 && !clear.includes(s));
    if (all !== null || set.length || clear.length || set2.length || clear2.length) {
      out.bits.set(k, { all, set: [...set, ...set2], clear: [...clear, ...clear2] });
    }
  }
  return out;
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
