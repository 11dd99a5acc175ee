// The shape of one rule in a pack. Each kind's keys are declared once, as the
// JSON Schema beside its module (analyzer/rules/<kind>.ts); the types here are
// inferred from those schemas, and rules/schema.json is generated from them.

import type { KINDS } from '../rules';
import type { RuleKind } from '../rules/context';
import type { EntrySpec } from './rule-schema';

export type { EntrySpec } from './rule-schema';

type SpecOf<K> = K extends RuleKind<infer R> ? R : never;

/** A rule of any registered kind, told apart by `kind`. */
export type RuleSpec = SpecOf<(typeof KINDS)[number]>;

export function entryOf(e: string | EntrySpec): EntrySpec {
  return typeof e === 'string' ? { function: e } : e;
}

/** How messages and listings name an entry: `kvm_vcpu_reset(init_event=false)`. */
export function entryName(e: EntrySpec): string {
  const args = e.args ? `(${Object.entries(e.args).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
  return `${e.function}${args}`;
}
