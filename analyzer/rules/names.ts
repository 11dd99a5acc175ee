// The fields a pack's rules name, checked against the program: a field no
// analysed struct has makes the part of the rule that names it check
// nothing, silently. Which keys hold fields is read off each kind's schema (a
// FIELD anywhere in it), so a new kind is covered by its schema alone.
// Functions are not checked: a rule matches calls by name, and a call of a
// function the tree only declares (an external one) is still a call.
//
// A key may list the forms several kernel versions use (VCPU_EXREG_CR3 and
// VCPU_REG_CR3's fields, kvm_vcpu_has_run and the field test): it checks
// something while one of its names is there, so the note comes only when
// none is. Entries are pack/entries.ts's business.

import type { Pack } from '../pack/load';
import type { Program } from '../program/program';
import { fieldOf } from '../program/program';
import { FIELD, FIELDS, GLOB, GLOBS, IDENT, NAMES, ENTRY } from '../pack/rule-schema';
import { RULE_KINDS } from './index';

type Found = { fields: string[]; functions: string[] };

/** The field and function names a value holds, read through its schema. */
function namesIn(value: unknown, schema: unknown, out: Found, depth = 0): void {
  if (depth > 8 || value === undefined || value === null || schema === ENTRY) return;
  if (schema === FIELD) {
    if (typeof value === 'string') out.fields.push(value);
    return;
  }
  if (schema === GLOB || schema === IDENT) {
    if (typeof value === 'string') out.functions.push(value);
    return;
  }
  if (schema === FIELDS || schema === GLOBS || schema === NAMES) {
    const item = (schema as { items: unknown }).items;
    if (Array.isArray(value)) for (const v of value) namesIn(v, item, out, depth + 1);
    return;
  }
  const s = schema as { type?: string; items?: unknown; properties?: Record<string, unknown>; additionalProperties?: unknown };
  if (Array.isArray(value) && s.items) {
    for (const v of value) namesIn(v, s.items, out, depth + 1);
    return;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (sub) namesIn(v, sub, out, depth + 1);
    }
  }
}

/**
 * One note for each key of a rule that names fields (and no function) none
 * of which the program has: `FILE: rules[i].KEY: NAMES ... (rule R checks
 * nothing through it)`. `only`: the rules this run is limited to.
 */
export function unknownNameNotes(pack: Pack, p: Program, only?: string[], skipped: ReadonlySet<string> = new Set()): string[] {
  const notes: string[] = [];
  const indexInFile = new Map<string, number>();
  const hasField = (q: string): boolean => {
    const dot = q.indexOf('.');
    const name = q.slice(0, dot);
    const member = q.slice(dot + 1);
    const s = p.structs.get(name);
    if (s && fieldOf(s, member)) return true;
    // the program keeps one definition a name, the largest; a whole kernel has one for every architecture
    for (const f of p.files) for (const d of f.structs) if (d.name === name && fieldOf(d, member)) return true;
    return false;
  };
  for (const r of pack.rules) {
    const file = pack.ruleFile[r.id] ?? '';
    const k = indexInFile.get(file) ?? 0;
    indexInFile.set(file, k + 1);
    // a rule none of whose entries is there is skipped, and its note says so already
    if ((only?.length && !only.includes(r.id)) || skipped.has(r.id)) continue;
    const kind = RULE_KINDS[r.kind] as unknown as { schema?: { properties?: Record<string, unknown> }; alternatives?: readonly (readonly string[])[] } | undefined;
    const props = kind?.schema?.properties ?? {};
    // keys checked together: a kind's alternatives, every other key alone
    const groups: string[][] = (kind?.alternatives ?? []).map((g) => [...g]);
    for (const key of Object.keys(props)) if (!groups.some((g) => g.includes(key))) groups.push([key]);
    for (const keys of groups) {
      const found: Found = { fields: [], functions: [] };
      for (const key of keys) if (props[key]) namesIn((r as unknown as Record<string, unknown>)[key], props[key], found);
      const key = keys.filter((k) => (r as unknown as Record<string, unknown>)[k] !== undefined).join(', ') || keys[0];
      // a key that also names functions (an event list) may check through them
      const all = found.fields;
      if (!all.length || found.functions.length || found.fields.some(hasField)) continue;
      const what = all.length === 1 ? `${all[0]} is not` : `none of ${all.join(', ')} is`;
      notes.push(`${file}: rules[${k}].${key}: ${what} in the analysed files; rule ${r.id} checks nothing through it`);
    }
  }
  return notes;
}
