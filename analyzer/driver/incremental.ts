// Reusing the result of a nearby tree (the last check of the same tree, HEAD
// for the hook, the previous patch for a review). An entry function's runs
// depend on the bodies of the functions they could reach, on the names they
// called (a function added under one of them would be reached) and on
// tree-wide facts (declarations, types, macros, ops tables, the entries rules
// compute). When the changed files keep every tree-wide fact but line
// numbers, an entry whose runs reached no changed function and called no
// changed name would run the same but for lines: its old findings are moved
// to the new lines, and only the other entries run again.

import type { FileFacts, FunctionFact } from '../parse/ir';
import type { Pack } from '../pack/load';
import type { Finding, TraceStep } from '../flow/finding';
import { sortFindings } from '../flow/finding';
import { makeProgram } from '../program/callgraph';
import { pastedMembers } from '../program/program';
import { withoutBody } from '../parse/facts-text';
import { entriesOf, fnKey, type UnitResult } from '../flow/run';

/** Anonymous structs are named after their line (`<anon@236>`), so they move too. */
const ANON = /<anon@\d+>/g;

/** Everything but the line numbers, which an edit above moves. */
function lineFree(v: unknown): string {
  return JSON.stringify(v, (k, x) => (k === 'line' || k === 'endLine' || k === 'memberLines' || k === 'bytes' ? undefined : x))
    .replace(ANON, '<anon>');
}

export function skeleton(f: FileFacts): FileFacts {
  // withoutBody: a spread would parse a lazy body (facts-text.ts) only to drop it
  return { ...f, functions: f.functions.map((fn) => ({ ...withoutBody(fn), body: { k: 'block', body: [] } })) };
}

function relativeBody(fn: FunctionFact): string {
  return JSON.stringify(fn.body, (k, x) => (k === 'line' && typeof x === 'number' ? x - fn.line : x)).replace(ANON, '<anon>');
}

/** The same body but for where it sits; where it did not move, the plain text says so at a fifth of the cost. */
function sameBody(a: FunctionFact, b: FunctionFact): boolean {
  if (a.body === b.body) return true; // an edit re-read alone keeps the objects before it (parse/reparse.ts)
  if (a.line === b.line) return JSON.stringify(a.body) === JSON.stringify(b.body);
  return relativeBody(a) === relativeBody(b);
}

/** A function's identity across an edit: its name and which of the file's definitions of that name it is. */
function occurrences(fns: FunctionFact[]): string[] {
  const seen = new Map<string, number>();
  return fns.map((fn) => {
    const n = seen.get(fn.name) ?? 0;
    seen.set(fn.name, n + 1);
    return `${fn.name}#${n}`;
  });
}

/**
 * What a program derives from bodies for the whole tree: tables filled at run
 * time, entries found by scanning. Only `changed` have bodies, so only they
 * are scanned for tables; for entries, only the functions the change touched
 * (`touched`, fnKey) are: one the change left alone, in a program whose other
 * facts are the same on both sides, is an entry on both or on neither. Also
 * every function name a table names, which a function added or removed under
 * that name would change the targets of.
 */
function derived(others: FileFacts[], changed: FileFacts[], pack: Pack, touched: Set<string>): { sig: string; members: Set<string> } {
  const p = makeProgram({ root: '', files: [...others, ...changed], notes: [], bytes: 0 }, pack);
  p.files = changed.map((f) => ({ ...f, functions: f.functions.filter((fn) => touched.has(fnKey(fn))) }));
  const members = new Set<string>();
  const tables = [...p.tablesByType].map(([k, ts]) => [k, ts.map((t) => {
    for (const v of Object.values(t.members)) members.add(v);
    // a name a macro member would make counts as named, whether it is defined yet or not
    for (const x of pastedMembers(p, t)) members.add(x.fn);
    return { name: t.name, type: t.type, file: t.file, members: t.members };
  })]);
  const impls = [...p.hookImpls].map(([k, l]) => [k, l.map((i) => {
    members.add(i.fn);
    return `${i.table.name}:${i.fn}`;
  })]);
  const entries = pack.rules.map((r) => entriesOf(r, p, pack.roles));
  return { sig: JSON.stringify([tables, impls, entries]), members };
}

export interface Change {
  path: string;
  before: FileFacts;
  after: FileFacts;
}

/** What the changed files change, for a run: the functions and names it must not have touched. */
export interface ChangeSet {
  /** fnKey of every function added, removed or changed in a changed file */
  functions: Set<string>;
  /** their names */
  names: Set<string>;
}

/**
 * The functions the change adds, removes or alters, or null when it changes
 * a tree-wide fact (then every entry runs again); `others` are the
 * skeletons of every unchanged file.
 */
export function changeSetOf(changes: Change[], others: FileFacts[], pack: Pack): ChangeSet | null {
  const set: ChangeSet = { functions: new Set(), names: new Set() };
  const added = new Set<string>();
  for (const c of changes) {
    const rest = (f: FileFacts) => lineFree({ ...f, functions: [] });
    if (rest(c.before) !== rest(c.after)) return null;
    if (JSON.stringify(c.before.notes) !== JSON.stringify(c.after.notes)) return null;
    const side = (fns: FunctionFact[]) => {
      const ids = occurrences(fns);
      return new Map(fns.map((fn, i) => [ids[i], fn]));
    };
    const before = side(c.before.functions);
    const after = side(c.after.functions);
    const differs = (a: FunctionFact | undefined, b: FunctionFact | undefined) =>
      !a || !b || lineFree({ ...a, body: null }) !== lineFree({ ...b, body: null }) || !sameBody(a, b);
    for (const [id, fn] of before) {
      if (!differs(fn, after.get(id))) continue;
      set.functions.add(fnKey(fn));
      set.names.add(fn.name);
      if (!after.has(id)) added.add(fn.name);
    }
    for (const [id, fn] of after) {
      if (before.has(id)) continue;
      set.functions.add(fnKey(fn));
      set.names.add(fn.name);
      added.add(fn.name);
    }
  }
  if (!set.names.size) return set;
  // the skeleton programs hold bodies for the changed files only, so what they derive differs only if the change does
  const before = derived(others, changes.map((c) => c.before), pack, set.functions);
  const after = derived(others, changes.map((c) => c.after), pack, set.functions);
  if (before.sig !== after.sig) return null;
  // a table naming a function that comes or goes reaches a different set of targets
  for (const n of added) if (before.members.has(n)) return null;
  return set;
}

/** Whether an entry's runs in the nearby tree could have seen the change. */
export function touchedBy(u: UnitResult, cs: ChangeSet): boolean {
  return u.walked.some((k) => cs.functions.has(k)) || u.called.some((n) => cs.names.has(n));
}

/** Moves findings from the lines of `before` to those of `after`; null when a position is in no function that stayed. */
export function moveFindings(findings: Finding[], changes: Change[]): Finding[] | null {
  const byPath = new Map(changes.map((c) => {
    const ids = occurrences(c.after.functions);
    const after = new Map(c.after.functions.map((fn, i) => [ids[i], fn]));
    return [c.path, { before: c.before.functions, ids: occurrences(c.before.functions), after }];
  }));
  let lost = false;
  const move = (file: string, line: number): number => {
    const c = byPath.get(file);
    if (!c) return line;
    const i = c.before.findIndex((f) => f.line <= line && line <= f.endLine);
    const to = i < 0 ? undefined : c.after.get(c.ids[i]);
    if (!to) {
      lost = true;
      return line;
    }
    return line - c.before[i].line + to.line;
  };
  const text = (s: string) => s.replace(/([\w./+-]+\.[ch]):(\d+)/g, (m, f: string, l: string) => (byPath.has(f) ? `${f}:${move(f, Number(l))}` : m));
  const step = (s: TraceStep): TraceStep => ({ ...s, line: move(s.file, s.line), note: text(s.note) });
  const out = findings.map((f) => ({ ...f, line: move(f.file, f.line), message: text(f.message), trace: f.trace.map(step) }));
  // a finding that names an anonymous struct names a line too, in a way only a new run gets right
  if (lost || out.some((f) => JSON.stringify(f).includes('<anon@'))) return null;
  return sortFindings(out);
}
