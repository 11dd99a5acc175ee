// A rule's own facts in the path's State (as Smatch's my_id): each rule
// gets a space whose keys carry its own prefix, and asks it for facts by
// name, so two rules never read or write each other's by sharing a string,
// and the engine knows which facts are whose (Watch.facts) without a kind
// saying so.

import type { State, Tri } from './state';

/** One three-valued fact of a rule (State's Tri: 1 on every path, 0 on none, 2 on some). */
export class Fact {
  constructor(readonly key: string) {}

  get(st: State): Tri {
    return st.get(this.key);
  }

  set(st: State, v: Tri): void {
    st.set(this.key, v);
  }
}

/** A family of facts of a rule, one per subject (a field, a predicate's index). */
export class Facts {
  constructor(private prefix: string) {}

  get(st: State, of: string): Tri {
    return st.get(this.prefix + of);
  }

  set(st: State, of: string, v: Tri): void {
    st.set(this.prefix + of, v);
  }
}

/** The facts of one rule: every key under `prefix`, which no other rule's space has. */
export class FactSpace {
  private names = new Set<string>();

  /** `id`: the rule's number in its pack, unique in a run */
  constructor(id: number) {
    this.prefix = `${id}/`;
  }

  private readonly prefix: string;

  /** The rule's fact `name`. */
  fact(name: string): Fact {
    return new Fact(this.claim(name));
  }

  /** The rule's facts `name`, one per subject. */
  facts(name: string): Facts {
    return new Facts(`${this.claim(name)}:`);
  }

  /** Whether a state key is one of this rule's facts. */
  owns(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  private claim(name: string): string {
    // a ':' in a name would let `a` of subject `b:c` and `a:b` of subject `c` be one key
    if (!/^[\w-]+$/.test(name)) throw new Error(`fact name ${JSON.stringify(name)}: letters, digits, _ and - only`);
    if (this.names.has(name)) throw new Error(`fact ${name} asked for twice by one rule`);
    this.names.add(name);
    return this.prefix + name;
  }
}
