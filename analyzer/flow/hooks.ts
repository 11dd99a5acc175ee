// What rule kinds see of the engine: the sites, frames and events their hooks
// receive. Kinds import this module, never the interpreter.

import type { Expr, FunctionFact } from '../parse/ir';
import type { Scope, CallInfo } from '../program/callgraph';
import type { State, LocalVal } from './state';
import type { Watch } from './footprint';

/** A constant: a number, or the name of an enumerator/macro constant. */
/** a known constant (a number, or `sym:NAME` an enumerator), undefined when not known */
export type Val = LocalVal | undefined;

export interface Frame {
  fn: FunctionFact;
  /** line in the caller where this frame was entered (0 for the entry) */
  callLine: number;
  via?: string;
}

export interface Site {
  fn: FunctionFact;
  line: number;
  col: number;
  stack: readonly Frame[];
  /** the branches around this site that the path's facts decided, outermost first */
  decided?: readonly Decided[];
}

/**
 * A branch the state decided: its bit test was known on this path, so only
 * one side could be taken (`!kvm_register_is_available(vcpu, REG)` with the
 * bit still clear). A finding under it says so: that is why the path went
 * where it did.
 */
export interface Decided {
  /** index in the stack of the frame the branch is in */
  depth: number;
  line: number;
  /** the bit test as written, without the `!`s around it */
  text: string;
  /** the field (`struct.member`) and the bit the test reads, and whether the bit was set */
  field: string;
  bit: string;
  set: boolean;
}

/** A rule's handlers of the events on a path. */
export interface Handlers {
  onRead?(field: string, st: State, at: Site): void;
  /** `value`: what an assignment stores, when it is a known constant */
  /** `target` and `sc`: the field expression written and its function's scope, when the write is an expression's */
  onWrite?(field: string, st: State, at: Site, how: WriteHow, value?: Val, target?: Expr, sc?: Scope): void;
  /** before the callee runs; `name` is the function or macro called by name, or the hook */
  onCall?(call: CallEvent, st: State, at: Site): void;
  onCallReturn?(call: CallEvent, st: State, at: Site): void;
  /** on the path where `cond` evaluated to `taken`; each side that can happen, also where a callee's outcomes decided some paths */
  onBranch?(cond: Expr, taken: boolean, st: State, sc: Scope): void;
  /** the entry returns (the entry is never blind: its return is every rule's) */
  onEntryReturn?(st: State, at: Site): void;
  /** every frame returns, the entry's too: an observer's (infer), which follows what each frame did */
  onFrameReturn?(st: State, at: Site): void;
  /** the entry's run is over (each vendor's run is one) */
  onRunEnd?(): void;
}

export type WriteHow = 'assign' | 'compound' | 'address' | 'fill';

/**
 * What a rule's handlers react to. They are called for these events only,
 * and a callee where none of them can happen is summarised without the
 * rule's facts: a declaration that misses an event makes the rule miss it
 * everywhere, where its tests see it, not only inside callees.
 * - fields: reads and writes of these fields (`struct.member`)
 * - calls: calls whose name, hook (`struct.member`) or any target's name matches
 * - idents: with the fields and the calls (and what the called functions
 *   reach), what makes a branch's condition the rule's
 */
export type Events = Omit<Watch, 'key'>;

/** What a rule kind's create() returns: its handlers and the events they are for. */
export interface KindHooks extends Handlers {
  events: Events;
  /**
   * Fewer events once the rule's facts on a path are settled (`holds`):
   * the only ones that could still change them or make the rule report
   * (requires-before with its region held and no finding waiting: a
   * release). A callee where none of them can happen is walked without the
   * rule on that path, its facts passed through as they were.
   */
  settled?: { events: Events; holds(st: State): boolean };
}

/**
 * What the engine calls: a rule's handlers confined to the events it
 * declares (events.ts), and its watch, derived from them: what the hooks
 * react to and which facts are theirs. A callee where none of it happens
 * is summarised without those facts.
 */
export interface RuleHooks extends Handlers {
  watch: Watch & { facts(key: string): boolean };
  /** the watch of KindHooks.settled's events when they are all that matter in `st`, else null */
  settled?(st: State): Watch | null;
}

export interface CallEvent {
  name: string | undefined;
  info: CallInfo;
  args: Val[];
  argExprs: Expr[];
  sc: Scope;
}
