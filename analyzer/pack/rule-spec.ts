// The shape of one rule in a pack. Kind-specific keys are checked by
// rules/schema.json; the engine reads them through these types.

export type Confidence = 'high' | 'medium' | 'low';

export interface EntrySpec {
  function: string;
  /** constant arguments by parameter name: numbers, booleans, or enum/macro names */
  args?: Record<string, number | boolean | string>;
  /** defined only in some trees: when the analysed files lack it, a note, not an error */
  optional?: boolean;
}

/** A qualified field `struct.member`, or a call by name (globs allowed). */
export interface EventSpec {
  call?: string;
  write?: string;
  read?: string;
}

export interface PredicateSpec {
  call?: string;
  field?: string;
  op?: '!=' | '==' | '<' | '>' | '<=' | '>=';
  value?: number;
}

interface RuleBase {
  id: string;
  kind: string;
  seed?: string[];
  message: string;
  description?: string;
  confidence: Confidence;
  severity?: 'warning' | 'error';
  entries?: (string | EntrySpec)[];
  /** structs zero-allocated when the entries run (a new vCPU): unwritten fields read as 0 */
  fresh?: string[];
  /**
   * directory of example cases, relative to the pack file: `valid-*.c` must
   * give no finding, `invalid-*.c` exactly its `invalid-*.expected`
   */
  examples?: string;
}

export interface InitBeforeReadRule extends RuleBase {
  kind: 'init-before-read';
  fields: string[];
  initializers?: string[];
}

export interface RequiresBeforeRule extends RuleBase {
  kind: 'requires-before';
  operations: string[];
  acquire: string[];
  release?: string[];
  /** what the message calls the region: "a loaded vCPU" */
  region?: string;
}

export interface GuardedRule extends RuleBase {
  kind: 'guarded';
  changes: EventSpec[];
  predicate: PredicateSpec[];
}

export interface ResetCompleteRule extends RuleBase {
  kind: 'reset-complete';
  fields: string[];
}

export interface MustFollowRule extends RuleBase {
  kind: 'must-follow';
  trigger: EventSpec[];
  follow: string[];
  /** a branch whose condition mentions one of these (identifier or struct.member) decides relevance */
  conditionMentions?: string[];
  /** functions or `struct.member` hooks whose implementations are not changes (cache fills) */
  exempt?: string[];
  /**
   * `struct.member` flags whose setting defers the refresh (7.x's
   * cpuid_dynamic_bits_dirty): setting one to a non-zero value discharges
   * the change, provided every test of the flag in the tree refreshes on
   * its true side
   */
  deferredBy?: string[];
}

export interface MarkWithoutWriteRule extends RuleBase {
  kind: 'mark-without-write';
  marks: { call: string; regArg: number }[];
  /** register constant → the cached field it marks */
  registers: Record<string, string>;
  /** bit-set field whose bit for a register says its cached value is current: marking it again writes nothing stale */
  available?: string;
  /** functions or `struct.member` hooks whose marks are cache fills, not claims */
  exempt?: string[];
}

export type RuleSpec =
  | InitBeforeReadRule | RequiresBeforeRule | GuardedRule | ResetCompleteRule | MustFollowRule | MarkWithoutWriteRule;

export function entryOf(e: string | EntrySpec): EntrySpec {
  return typeof e === 'string' ? { function: e } : e;
}

/** How messages and listings name an entry: `kvm_vcpu_reset(init_event=false)`. */
export function entryName(e: EntrySpec): string {
  const args = e.args ? `(${Object.entries(e.args).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
  return `${e.function}${args}`;
}
