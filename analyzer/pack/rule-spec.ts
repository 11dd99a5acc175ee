// The shape of one rule in a pack. Each kind's keys are declared once, as the
// JSON Schema beside its module (analyzer/rules/<kind>.ts); the types here are
// inferred from those schemas, and rules/schema.json is generated from them.

import type { KINDS } from '../rules';
import type { RuleKind } from '../rules/context';
import type { EntrySpec, RoleEntry } from './rule-schema';

export type { EntrySpec, RoleEntry } from './rule-schema';

type SpecOf<K> = K extends RuleKind<infer R> ? R : never;

/** A rule of any registered kind, told apart by `kind`. */
export type RuleSpec = SpecOf<(typeof KINDS)[number]>;

/** An entry as the pack wrote it: a name, a function with arguments, or a role. */
export type EntryItem = string | EntrySpec | RoleEntry;

export function isRoleEntry(e: EntryItem): e is RoleEntry {
  return typeof e === 'object' && 'role' in e;
}

/** The function entries a rule names itself; its roles' are the program's to find (program/roles.ts). */
export function functionEntries(entries: readonly EntryItem[] | undefined): EntrySpec[] {
  const out: EntrySpec[] = [];
  for (const e of entries ?? []) if (!isRoleEntry(e)) out.push(typeof e === 'string' ? { function: e } : e);
  return out;
}

/** How listings name an entry as written: a role is `role NAME`. */
export function writtenName(e: EntryItem): string {
  if (isRoleEntry(e)) return `role ${e.role}`;
  return entryName(typeof e === 'string' ? { function: e } : e);
}

/** How messages and listings name an entry: `kvm_vcpu_reset(init_event=false)`. */
export function entryName(e: EntrySpec): string {
  const args = e.args ? `(${Object.entries(e.args).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
  return `${e.function}${args}`;
}
