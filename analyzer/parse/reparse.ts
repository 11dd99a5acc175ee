// An edit inside one function body, re-read without re-reading the file. The
// hook and review see a file a few lines away from a version whose facts are
// cached; parsing all of x86.c again (365 KB) costs about half a second in a
// fresh process, most of it the front end warming up. Here only the edited
// function is parsed, after as many empty lines as come before it (so its
// lines and columns are the file's), and the facts after it move by the lines
// the edit added.
//
// The shortcut is taken only when it must give what a full parse gives:
//   - the changed lines lie strictly inside one function that parsed without
//     errors, and hold no directive, no comment opener or closer, no line
//     continuation, and balanced brackets: nothing in them can reach past the
//     function, in the preprocessor, the lexer or the parser;
//   - the old function, parsed alone the same way, gives exactly the facts the
//     full parse gave it, and nothing else: so the function's meaning does not
//     depend on what is around it (its file-level `#if` condition is the one
//     thing carried over);
//   - the new function, parsed alone, gives one error-free function of the
//     same name, and nothing else.
// Otherwise the answer is null and the file is parsed whole. reparse.test.ts and
// reparse.kernel.test.ts compare the result with a full parse, edit by edit.

import { isDeepStrictEqual } from 'node:util';
import type { FileFacts, FunctionFact } from './ir';
import type { Normalizer } from '../source/normalize';
import { parseText, type ParseLimits } from './parse-file';

export interface Edited {
  /** the text the cached facts were read from */
  before: string;
  facts: FileFacts;
  after: string;
}

export function reparseEdit(e: Edited, rel: string, normalize: Normalizer, limits: ParseLimits): FileFacts | null {
  const { before, after, facts } = e;
  if (before === after || facts.notes.length) return null;
  const span = changedLines(before, after);
  if (!span) return null;
  const { first, lastOld, lastNew, oldStarts, newStarts } = span;
  // the function around the change: its first and last lines are not changed
  let at = -1;
  for (let i = 0; i < facts.functions.length; i++) {
    const f = facts.functions[i];
    if (f.line < first && f.endLine > lastOld) {
      if (at >= 0) return null; // two definitions on the same lines: not worth sorting out
      at = i;
    }
  }
  if (at < 0) return null;
  const old = facts.functions[at];
  if (old.hasError) return null;
  if (!lexicallyLocal(before, oldStarts, first, lastOld) || !lexicallyLocal(after, newStarts, first, lastNew)) return null;
  const delta = (newStarts.length - oldStarts.length);
  const oldAlone = alone(before, oldStarts, old.line, old.endLine, rel, normalize, limits);
  if (!oldAlone || !isDeepStrictEqual({ ...oldAlone, cond: old.cond }, old)) return null;
  const fresh = alone(after, newStarts, old.line, old.endLine + delta, rel, normalize, limits);
  if (!fresh || fresh.name !== old.name || fresh.hasError) return null;
  fresh.cond = old.cond;

  const later = (x: { line: number }) => x.line > old.endLine;
  const move = <T extends { line: number }>(xs: T[]): T[] => xs.map((x) => (later(x) ? shifted(x, delta, old.endLine) : x));
  const functions = facts.functions.map((f, i) => (i === at ? fresh : later(f) ? shifted(f, delta, old.endLine) : f));
  return {
    file: facts.file,
    bytes: after.length,
    functions,
    structs: move(facts.structs),
    tables: move(facts.tables),
    globals: move(facts.globals),
    macros: move(facts.macros),
    // a typedef has no line, but the anonymous struct it names has
    typedefs: facts.typedefs.map((t) => shifted(t, delta, old.endLine)),
    notes: [],
    topLevelErrors: facts.topLevelErrors,
  };
}

/** Offsets where each line starts. */
function lineStarts(s: string): number[] {
  const out = [0];
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

function lineAt(s: string, starts: number[], n: number): string {
  return s.slice(starts[n - 1], n < starts.length ? starts[n] - 1 : s.length);
}

/**
 * The changed lines, 1-based and inclusive: [first, lastOld] of the old text
 * became [first, lastNew] of the new (an empty range when lines were only
 * added or only removed).
 */
function changedLines(before: string, after: string):
  { first: number; lastOld: number; lastNew: number; oldStarts: number[]; newStarts: number[] } | null {
  const oldStarts = lineStarts(before);
  const newStarts = lineStarts(after);
  const no = oldStarts.length;
  const nn = newStarts.length;
  let k = 0;
  while (k < no && k < nn && lineAt(before, oldStarts, k + 1) === lineAt(after, newStarts, k + 1)) k++;
  let m = 0;
  while (m < no - k && m < nn - k && lineAt(before, oldStarts, no - m) === lineAt(after, newStarts, nn - m)) m++;
  if (k === no && k === nn) return null;
  return { first: k + 1, lastOld: no - m, lastNew: nn - m, oldStarts, newStarts };
}

/**
 * Lines [from, to] can change nothing outside themselves in the lexer or the
 * preprocessor, and their brackets pair up among themselves.
 */
function lexicallyLocal(s: string, starts: number[], from: number, to: number): boolean {
  let depth = 0;
  for (let n = from; n <= to; n++) {
    const line = lineAt(s, starts, n);
    if (/^\s*#/.test(line) || line.includes('/*') || line.includes('*/') || /\\\s*$/.test(line) || line.includes('\r')) return false;
    let i = 0;
    while (i < line.length) {
      const c = line[i];
      if (c === '"' || c === "'") {
        // a literal ends on its line, or the line is no C this shortcut reads
        let j = i + 1;
        while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
        if (j >= line.length) return false;
        i = j + 1;
        continue;
      }
      if (c === '/' && line[i + 1] === '/') break;
      if (c === '{' || c === '(' || c === '[') depth++;
      else if (c === '}' || c === ')' || c === ']') {
        if (--depth < 0) return false;
      }
      i++;
    }
  }
  return depth === 0;
}

/**
 * The function on lines [from, to] of s, parsed after from - 1 empty lines:
 * its lines and columns are those of the file (facts hold no byte offsets).
 * null unless that is all it gives.
 */
function alone(s: string, starts: number[], from: number, to: number, rel: string, normalize: Normalizer, limits: ParseLimits): FunctionFact | null {
  const a = starts[from - 1];
  const b = to < starts.length ? starts[to] : s.length;
  const r = parseText('\n'.repeat(from - 1) + s.slice(a, b), rel, normalize, limits);
  if (!r.ok) return null;
  const f = r.facts;
  if (f.functions.length !== 1 || f.structs.length || f.tables.length || f.globals.length || f.macros.length ||
    f.typedefs.length || f.notes.length || f.topLevelErrors) return null;
  return f.functions[0];
}

/**
 * A copy with every line number moved by delta: `line`, `endLine`, a table's
 * member lines, and the line an anonymous struct is named by (`<anon@12967>`)
 * when it comes after `after`.
 */
function shifted<T>(x: T, delta: number, after: number): T {
  if (delta === 0) return x;
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'number') return key === 'line' || key === 'endLine' ? v + delta : v;
    if (typeof v === 'string') return v.includes('<anon@') ? v.replace(/<anon@(\d+)>/g, (m, n: string) => (Number(n) > after ? `<anon@${Number(n) + delta}>` : m)) : v;
    if (Array.isArray(v)) return v.map((y) => walk(y, ''));
    if (v === null || typeof v !== 'object') return v;
    const o: Record<string, unknown> = {};
    if (key === 'memberLines') {
      for (const [k, n] of Object.entries(v)) o[k] = (n as number) + delta;
      return o;
    }
    for (const [k, y] of Object.entries(v)) o[k] = walk(y, k);
    return o;
  };
  return walk(x, '') as T;
}
