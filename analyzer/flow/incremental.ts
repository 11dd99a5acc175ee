// Reusing the result of a nearby tree (HEAD for the hook, the previous patch
// for a review) when a change cannot alter it. The engine's result depends
// on the bodies of the functions it walked into and on tree-wide facts
// (declarations, types, macros, ops tables, the entries rules compute). When
// the changed files keep every tree-wide fact but line numbers, and no walked
// function's body changed but for where it sits, the run would be the same
// but for lines: the old findings are moved to the new lines instead.

import type { FileFacts, FunctionFact } from '../parse/ir';
import type { Pack } from '../pack/load';
import type { RuleHooks } from './engine';
import type { Finding, TraceStep } from './finding';
import { sortFindings } from './finding';
import { makeProgram } from '../program/callgraph';
import { entriesOf } from './run';

/** Functions the engine may have walked into, as `file\0name`. */
export function visitRecorder(): { hooks: RuleHooks; visited: Set<string> } {
  const visited = new Set<string>();
  return {
    visited,
    hooks: {
      onCall(ev) {
        for (const t of ev.info.targets) visited.add(fnKey(t.fn));
      },
    },
  };
}

export function fnKey(fn: Pick<FunctionFact, 'file' | 'name'>): string {
  return `${fn.file}\u0000${fn.name}`;
}

/** Anonymous structs are named after their line (`<anon@236>`), so they move too. */
const ANON = /<anon@\d+>/g;

/** Everything but the line numbers, which an edit above moves. */
function lineFree(v: unknown): string {
  return JSON.stringify(v, (k, x) => (k === 'line' || k === 'endLine' || k === 'memberLines' || k === 'bytes' ? undefined : x))
    .replace(ANON, '<anon>');
}

export function skeleton(f: FileFacts): FileFacts {
  return { ...f, functions: f.functions.map((fn) => ({ ...fn, body: { k: 'block', body: [] } })) };
}

function relativeBody(fn: FunctionFact): string {
  return JSON.stringify(fn.body, (k, x) => (k === 'line' && typeof x === 'number' ? x - fn.line : x)).replace(ANON, '<anon>');
}

/**
 * What a program derives from bodies for the whole tree: tables filled at run
 * time, entries found by scanning. Only `changed` have bodies, so only they
 * are scanned for entries.
 */
function derived(others: FileFacts[], changed: FileFacts[], pack: Pack): string {
  const p = makeProgram({ root: '', files: [...others, ...changed], notes: [], bytes: 0 }, pack);
  p.files = changed;
  const tables = [...p.tablesByType].map(([k, ts]) => [k, ts.map((t) => ({ name: t.name, type: t.type, file: t.file, members: t.members }))]);
  const impls = [...p.hookImpls].map(([k, l]) => [k, l.map((i) => `${i.table.name}:${i.fn}`)]);
  const entries = pack.rules.map((r) => entriesOf(r, p));
  return JSON.stringify([tables, impls, entries]);
}

export interface Change {
  path: string;
  before: FileFacts;
  after: FileFacts;
}

/**
 * Whether the change is invisible to a run that walked `visited`; `others`
 * are the skeletons of every unchanged file.
 */
export function changeIsInvisible(changes: Change[], others: FileFacts[], visited: Set<string>, pack: Pack): boolean {
  for (const c of changes) {
    if (lineFree(skeleton(c.before)) !== lineFree(skeleton(c.after))) return false;
    if (JSON.stringify(c.before.notes) !== JSON.stringify(c.after.notes)) return false;
    for (const [i, fb] of c.before.functions.entries()) {
      const fa = c.after.functions[i];
      if (relativeBody(fb) !== relativeBody(fa) && visited.has(fnKey(fb))) return false;
    }
  }
  // the skeleton programs hold bodies for the changed files only, so what they derive differs only if the change does
  // makeProgram fills tables in place, so each program gets its own copy of the unchanged files
  const before = derived(structuredClone(others), changes.map((c) => c.before), pack);
  const after = derived(structuredClone(others), changes.map((c) => c.after), pack);
  return before === after;
}

/** Moves findings from the lines of `before` to those of `after`; null when a position is in no function. */
export function moveFindings(findings: Finding[], changes: Change[]): Finding[] | null {
  const byPath = new Map(changes.map((c) => [c.path, c]));
  let lost = false;
  const move = (file: string, line: number): number => {
    const c = byPath.get(file);
    if (!c) return line;
    const i = c.before.functions.findIndex((f) => f.line <= line && line <= f.endLine);
    if (i < 0) {
      lost = true;
      return line;
    }
    return line - c.before.functions[i].line + c.after.functions[i].line;
  };
  const text = (s: string) => s.replace(/([\w./+-]+\.[ch]):(\d+)/g, (m, f: string, l: string) => (byPath.has(f) ? `${f}:${move(f, Number(l))}` : m));
  const step = (s: TraceStep): TraceStep => ({ ...s, line: move(s.file, s.line), note: text(s.note) });
  const out = findings.map((f) => ({ ...f, line: move(f.file, f.line), message: text(f.message), trace: f.trace.map(step) }));
  // a finding that names an anonymous struct names a line too, in a way only a new run gets right
  if (lost || out.some((f) => JSON.stringify(f).includes('<anon@'))) return null;
  return sortFindings(out);
}
