// Every name a pack uses, checked against the program: a field, function,
// operation, macro or enumerator no analysed file has makes the part of the
// rule that names it check nothing, silently (a misspelling, or a rename
// upstream). Which keys hold names is read off each kind's schema (FIELD,
// IDENT, GLOB, TEXTS items, IDENT property names), so a new kind is covered by
// its schema alone; the program's tables and ops-call macros and the roles'
// exceptions are checked the same way.
//
// "Has" means defined (a function, macro, global, table, struct, typedef) or
// mentioned in a body, a macro or a table of the pack's own files: a call of a
// function the tree only declares is still a call the rule matches, and an
// enumerator counts where it is used. Bodies outside the pack's files are not
// read (their loaders keep no bodies).
//
// A name stands alone unless the pack says it is one form of a thing among
// others, because kernels differ: a kind's `alternatives` (keys read
// together: must-follow's follow and deferredBy) and `forms` (a key whose items
// are forms of one test: guarded's predicate; mark-without-write's registers,
// VCPU_EXREG_CR3 up to 6.12 and VCPU_REG_CR3 since). A group of forms is noted
// only when none of it is there. In a map from names (an enumerator to its
// field), a value is checked where its name is: 7.2 moved the PDPTRs from
// kvm_mmu to kvm_vcpu_arch along with their enumerator's new name.
// Entries are pack/entries.ts's business; program.modes are for the trees
// that have them and are not checked.

import type { Pack } from '../pack/load';
import type { Program } from '../program/program';
import type { Expr } from '../parse/ir';
import { fieldOf } from '../program/program';
import { walkStmt } from '../program/walk';
import { FIELD, IDENT, GLOB, ENTRY, TEXTS, RULE_BASE } from '../pack/rule-schema';
import { authoredAt } from '../pack/sets';
import { keyName, type KeyPath } from '../pack/locate';
import { globMatcher } from './context';
import { walkedMatcher } from '../source/discover';
import { RULE_KINDS } from './index';

const IDENT_RE = new RegExp(IDENT.pattern);
const FIELD_RE = new RegExp(FIELD.pattern);

/** One name at one place of a rule: `path` under the rule; `requires`: checked only where one of these names is there. */
interface Use { path: KeyPath; name: string; field: boolean; requires?: string[]; keyAt?: number }

type Schema = { items?: unknown; properties?: Record<string, unknown>; additionalProperties?: unknown; propertyNames?: unknown };

/** The names a value holds, read through its schema, with their paths. */
function usesIn(value: unknown, schema: unknown, at: KeyPath, out: Use[], depth = 0): void {
  if (depth > 8 || value === undefined || value === null || schema === ENTRY) return;
  if (typeof value === 'string') {
    if (schema === FIELD) out.push({ path: at, name: value, field: true });
    else if (schema === IDENT || schema === GLOB) out.push({ path: at, name: value, field: false });
    // free text items (TEXTS: a function or a `struct.member` hook): whichever shape it has
    else if (schema === TEXTS.items) {
      if (FIELD_RE.test(value)) out.push({ path: at, name: value, field: true });
      else if (IDENT_RE.test(value)) out.push({ path: at, name: value, field: false });
    }
    return;
  }
  const s = schema as Schema;
  if (Array.isArray(value)) {
    if (s.items) for (const [i, v] of value.entries()) usesIn(v, s.items, [...at, i], out, depth + 1);
    return;
  }
  if (typeof value !== 'object') return;
  const named = s.propertyNames === IDENT;
  const valueAt = new Map<string, Use[]>();
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (!named) {
      if (sub) usesIn(v, sub, [...at, k], out, depth + 1);
      continue;
    }
    // a name map (an enumerator to its field): the key is a name, and its value matters where the key is there
    out.push({ path: [...at, k], name: k, field: false });
    const same = JSON.stringify(v);
    const had = valueAt.get(same);
    if (had) {
      for (const u of had) u.requires!.push(k);
      continue;
    }
    const uses: Use[] = [];
    if (sub) usesIn(v, sub, [...at, k], uses, depth + 1);
    for (const u of uses) {
      u.requires = [k];
      u.keyAt = at.length;
      out.push(u);
    }
    valueAt.set(same, uses);
  }
}

/**
 * What the program has of `names`: defined anywhere, or mentioned in a body,
 * macro or table of a file the pack enters. `globs` find every name they match.
 */
function namesHad(p: Program, pack: Pack, wants: string[][]): { has(n: string): boolean; matches(g: string): boolean } {
  const defined = (n: string): boolean => p.functions.has(n) || p.macroDefs.has(n) || p.globals.has(n) ||
    p.tablesByName.has(n) || p.structs.has(n) || p.typedefs.has(n);
  const definedMatch = (m: (n: string) => boolean): boolean => {
    for (const n of p.functions.keys()) if (m(n)) return true;
    for (const n of p.macroDefs.keys()) if (m(n)) return true;
    return false;
  };
  const isGlob = (n: string): boolean => n.includes('*');
  // only what no definition accounts for is looked for in the code (enumerators, constants, external
  // functions), and only until each group has one of its names: a tree has one form of each, not all
  const open = wants.filter((w) => !w.some((n) => (isGlob(n) ? definedMatch(globMatcher([n])) : defined(n))));
  const seen = new Set<string>();
  const hit: string[] = [];
  const byName = new Map<string, number[]>();
  const globs: { m: (n: string) => boolean; group: number }[] = [];
  for (const [i, w] of open.entries()) {
    for (const n of w) {
      if (isGlob(n)) globs.push({ m: globMatcher([n]), group: i });
      else if (byName.has(n)) byName.get(n)!.push(i);
      else byName.set(n, [i]);
    }
  }
  const waiting = new Set(open.keys());
  const note = (n: string): void => {
    const groups = byName.get(n);
    if (groups) {
      seen.add(n);
      for (const i of groups) waiting.delete(i);
    }
    for (const g of globs) {
      if (!g.m(n)) continue;
      hit.push(n);
      waiting.delete(g.group);
    }
  };
  const visit = (e: Expr): void => {
    if (e.k === 'id') note(e.name);
  };
  const mine = walkedMatcher(pack.include, pack.exclude, p.files.map((f) => f.file));
  for (const f of p.files) {
    if (!waiting.size) break;
    if (mine && !mine(f.file)) continue;
    for (const fn of f.functions) walkStmt(fn.body, [], visit);
    for (const m of f.macros) for (const t of m.body.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) note(t);
    for (const t of f.tables) {
      for (const v of Object.values(t.members)) note(v);
      for (const mm of Object.values(t.macroMembers ?? {})) for (const a of mm.args) note(a);
    }
  }
  return {
    has: (n) => seen.has(n) || defined(n),
    matches: (g) => {
      const m = globMatcher([g]);
      return hit.some(m) || definedMatch(m);
    },
  };
}

interface Group { label: KeyPath; uses: Use[]; forms: boolean }

/**
 * One note for each name of a rule the program lacks, or for each group of
 * forms none of which it has: `FILE: rules[i].KEY[j]: NAME is not in the
 * analysed files; rule R checks nothing through it`. A name a set put there is
 * named where the set has it. `only`: the rules this run is limited to;
 * `skipped`: rules none of whose entries is there (their note says so).
 */
export function unknownNameNotes(pack: Pack, p: Program, only?: string[], skipped: ReadonlySet<string> = new Set()): string[] {
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
  // each rule's groups first, so the tree is read once for every name of the pack
  const indexInFile = new Map<string, number>();
  const todo: { file: string; k: number; id: string; groups: Group[] }[] = [];
  for (const r of pack.rules) {
    const file = pack.ruleFile[r.id] ?? '';
    const k = indexInFile.get(file) ?? 0;
    indexInFile.set(file, k + 1);
    if ((only?.length && !only.includes(r.id)) || skipped.has(r.id)) continue;
    todo.push({ file, k, id: r.id, groups: groupsOf(r as unknown as Record<string, unknown>) });
  }
  const progUses = programUses(pack);
  // what each group needs one of: a group of forms any of its names (none when one of its fields is
  // there), a name its own, a map's value the names that map to it (it matters only where one is)
  const wants: string[][] = [];
  for (const g of [...todo.flatMap((t) => t.groups), ...progUses]) {
    if (g.forms) {
      if (!g.uses.some((u) => u.field && hasField(u.name))) wants.push(g.uses.filter((u) => !u.field).map((u) => u.name));
      continue;
    }
    for (const u of g.uses) {
      if (u.requires && u.field) {
        if (!hasField(u.name)) wants.push(u.requires);
      } else if (!u.field) wants.push([u.name]);
    }
  }
  const had = namesHad(p, pack, wants.filter((w) => w.length));
  const there = (u: Use): boolean => (u.field ? hasField(u.name) : u.name.includes('*') ? had.matches(u.name) : had.has(u.name));

  // a name a set put into several rules is one note, naming them all
  const byPlace = new Map<string, string[]>();
  const say = (place: string, rule: string): void => {
    const l = byPlace.get(place);
    if (!l) byPlace.set(place, [rule]);
    else if (!l.includes(rule)) l.push(rule);
  };
  for (const t of todo) {
    for (const g of t.groups) {
      const gone = g.uses.filter((u) => !there(u) && (!u.requires || u.requires.some((k) => had.has(k))));
      if (!gone.length || (g.forms && gone.length < g.uses.length)) continue;
      if (g.forms) {
        const o = authoredAt(pack.spliced, t.file, ['rules', t.k, ...g.label]);
        const all = [...new Set(gone.map((u) => u.name))];
        const what = all.length === 1 ? `${all[0]} is not` : `none of ${all.join(', ')} is`;
        say(`${o.file}: ${keyName(o.path)}: ${what} in the analysed files`, t.id);
        continue;
      }
      for (const u of gone) {
        // a map's value is named at the key that is there (VCPU_REG_PDPTR on 7.2, not VCPU_EXREG_PDPTR)
        const at = [...u.path];
        if (u.keyAt !== undefined) at[u.keyAt] = u.requires!.find((k) => had.has(k))!;
        const o = authoredAt(pack.spliced, t.file, ['rules', t.k, ...at]);
        say(`${o.file}: ${keyName(o.path)}: ${u.name} is not in the analysed files`, t.id);
      }
    }
  }
  const notes: string[] = [];
  for (const [place, rules] of byPlace) {
    notes.push(`${place}; ${rules.length === 1 ? `rule ${rules[0]} checks` : `rules ${rules.join(', ')} check`} nothing through it`);
  }
  for (const g of progUses) {
    const gone = g.uses.filter((u) => !there(u));
    if (!gone.length || (g.forms && gone.length < g.uses.length)) continue;
    const [file, ...at] = g.label as [string, ...KeyPath];
    const what = gone.length === 1 ? `${gone[0].name} is not` : `none of ${gone.map((u) => u.name).join(', ')} is`;
    notes.push(`${file}: ${keyName(at)}: ${what} in the analysed files; ${programWhy(at)}`);
  }
  return notes;
}

/** What a program key that names nothing of the tree fails to do. */
function programWhy(at: KeyPath): string {
  if (at[0] === 'program' && at[1] === 'tableGroups') return 'no vendor table of this group is read';
  if (at[0] === 'program') return 'its ops calls resolve to nothing';
  return `role ${String(at[1])} passes over nothing through it`;
}

/** A rule's names in the groups they are checked in. */
function groupsOf(rule: Record<string, unknown>): Group[] {
  const kind = RULE_KINDS[rule.kind as keyof typeof RULE_KINDS] as unknown as
    { schema?: { properties?: Record<string, unknown> }; alternatives?: readonly (readonly string[])[]; forms?: readonly string[] } | undefined;
  // the kind's keys, and the shared one that names structs (fresh)
  const props: Record<string, unknown> = { ...(kind?.schema?.properties ?? {}), fresh: RULE_BASE.properties.fresh };
  const groups: Group[] = [];
  const alone = new Set(Object.keys(props));
  for (const keys of kind?.alternatives ?? []) {
    const uses: Use[] = [];
    for (const key of keys) {
      alone.delete(key);
      if (props[key]) usesIn(rule[key], props[key], [key], uses);
    }
    const written = keys.filter((k) => rule[k] !== undefined);
    if (uses.length) groups.push({ label: [written.join(', ') || keys[0]], uses, forms: true });
  }
  for (const key of alone) {
    const uses: Use[] = [];
    usesIn(rule[key], props[key], [key], uses);
    if (!uses.length) continue;
    const forms = kind?.forms?.includes(key);
    const plain = uses.filter((u) => !forms || u.requires);
    if (forms) groups.push({ label: [key], uses: uses.filter((u) => !u.requires), forms: true });
    for (const u of plain) groups.push({ label: u.path, uses: [u], forms: false });
  }
  return groups;
}

/**
 * The program's and the roles' names, labelled [file, ...path]: each table
 * group is forms of one vendor's tables across versions (vmx_x86_ops, then
 * vt_x86_ops since 6.10), an ops-call macro's struct and a role's exception
 * stand alone.
 */
function programUses(pack: Pack): Group[] {
  const out: Group[] = [];
  const where = pack.origins;
  // the macros' names are not: a tree may use none of the forms a pack knows (a file or fixture checked alone)
  for (const [i, m] of pack.program.opsCallMacros.entries()) {
    const o = where.opsCallMacros[i];
    if (o) out.push({ label: [o.file, 'program', 'opsCallMacros', o.index, 'struct'], uses: [{ path: [], name: m.struct, field: false }], forms: false });
  }
  for (const [i, g] of pack.program.tableGroups.entries()) {
    const o = where.tableGroups[i];
    if (!o) continue;
    out.push({ label: [o.file, 'program', 'tableGroups', o.index], uses: g.map((name) => ({ path: [], name, field: false })), forms: true });
  }
  for (const [role, spec] of Object.entries(pack.roles)) {
    const file = where.roles[role];
    if (!file) continue;
    for (const [j, name] of (spec.except ?? []).entries()) {
      const o = authoredAt(pack.spliced, file, ['roles', role, 'except', j]);
      out.push({ label: [o.file, ...o.path], uses: [{ path: [], name, field: false }], forms: false });
    }
  }
  return out;
}
