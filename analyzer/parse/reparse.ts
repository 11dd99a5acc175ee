// An edit inside one function body, or between two functions, re-read
// without re-reading the file. The hook, review and a check after an edit see
// a file a few lines away from a version whose facts are cached; parsing all
// of x86.c again (365 KB) costs about half a second in a fresh process, most
// of it the front end warming up. Here only a window of lines is parsed: the
// function the change is in, or, for a change between functions or one that
// touches a function's first or last line, from the function before it to the
// one after it (or to the next directive, or the end of the file). The window is parsed after as many empty lines as come before
// it, so its lines and columns are the file's, and the facts after it move by
// the lines the edit added.
//
// The shortcut is taken only when it must give what a full parse gives:
//   - the changed lines hold no directive, no comment opener or closer, no
//     line continuation and no literal left open: nothing in them can reach
//     past the window in the preprocessor or the lexer;
//   - outside function bodies the window holds no directive, so everything in
//     it sits under one file-level condition (the one thing a window parsed
//     alone cannot see; it is carried over);
//   - the old window, parsed alone, gives exactly the facts the full parse gave
//     for its lines, and nothing else: so what it means does not depend on what
//     is around it;
//   - the new window, parsed alone, is clean (no error, so no bracket left
//     open or closed too often; no note; no typedef, which has no line to
//     place it by), and its facts can be put where a full parse lists them.
// Otherwise the answer is null and the file is parsed whole. reparse.test.ts and
// reparse.kernel.test.ts compare the result with a full parse, edit by edit.

import { isDeepStrictEqual } from 'node:util';
import type { FileFacts, FunctionFact } from './ir';
import type { Normalizer } from './normalize';
import { parseClean, type ParseLimits } from './parse-file';

export interface Edited {
  /** the text the cached facts were read from */
  before: string;
  facts: FileFacts;
  after: string;
}

type Located = { line: number };
const KINDS = ['functions', 'structs', 'tables', 'globals', 'macros'] as const;

export function reparseEdit(e: Edited, rel: string, normalize: Normalizer, limits: ParseLimits): FileFacts | null {
  const { before, after, facts } = e;
  if (before === after || facts.notes.length) return null;
  const span = changedLines(before, after);
  if (!span) return null;
  const { first, lastOld, lastNew, oldStarts, newStarts } = span;
  if (!lexicallyLocal(before, oldStarts, first, lastOld) || !lexicallyLocal(after, newStarts, first, lastNew)) return null;
  const win = windowOf(facts.functions, first, lastOld, oldStarts.length);
  if (!win) return null;
  const { from } = win;
  let to = win.to;
  // which lines are in a function: a window can run to the end of a long file, so no search per line
  const inFunction = new Uint8Array(oldStarts.length + 2);
  for (const f of facts.functions) inFunction.fill(1, Math.max(0, f.line), Math.min(inFunction.length, f.endLine + 1));
  const directive = (n: number) => !inFunction[n] && /^\s*#/.test(lineAt(before, oldStarts, n));
  // a change between functions is re-read up to the next directive outside a body (the next function is often under one)
  if (win.between) for (let n = lastOld + 1; n <= to; n++) if (directive(n)) to = n - 1;
  // and outside the bodies in the window there is none: every item in it sits under one file-level condition
  for (let n = from; n <= to; n++) if (directive(n)) return null;
  const inWin = (x: Located) => x.line >= from && x.line <= to;
  const conds = new Set([...facts.functions.filter(inWin), ...facts.tables.filter(inWin)].map((x) => x.cond));
  if (conds.size > 1) return null;
  const cond = [...conds][0] ?? '';

  const delta = newStarts.length - oldStarts.length;
  const oldAlone = alone(before, oldStarts, from, to, rel, normalize, limits);
  if (!oldAlone) return null;
  for (const k of KINDS) {
    if (!isDeepStrictEqual(withCond<Located>(oldAlone[k], cond), (facts[k] as Located[]).filter(inWin))) return null;
  }
  const fresh = alone(after, newStarts, from, to + delta, rel, normalize, limits);
  if (!fresh) return null;

  // the window's items take the place of the old ones, which are next to each other in their list: a list holds
  // the items of one level of #if nesting in line order, then those of each group in it (extract.ts topLevel),
  // and everything in the window is on one level
  let placed = true;
  const put = <T extends Located>(old: T[], mid: T[]): T[] => {
    const out: T[] = [];
    let at = -1;
    for (let i = 0; i < old.length; i++) {
      const x = old[i];
      if (!inWin(x)) out.push(x.line > to ? shifted(x, delta, to) : x);
      else if (at < 0) at = out.length;
      else if (!inWin(old[i - 1])) placed = false;
    }
    // where items go that the window had none of is known only in a file without them
    if (at < 0 && mid.length) {
      if (old.length) placed = false;
      at = 0;
    }
    // not splice(at, 0, ...items): a window can hold any number of them
    return at >= 0 ? [...out.slice(0, at), ...withCond(mid, cond), ...out.slice(at)] : out;
  };
  const functions = put(facts.functions, fresh.functions);
  const structs = put(facts.structs, fresh.structs);
  const tables = put(facts.tables, fresh.tables);
  const globals = put(facts.globals, fresh.globals);
  const macros = put(facts.macros, fresh.macros);
  if (!placed) return null;
  return {
    file: facts.file,
    bytes: after.length,
    functions,
    structs,
    tables,
    globals,
    macros,
    // a typedef has no line, but the anonymous struct it names has
    typedefs: facts.typedefs.map((t) => shifted(t, delta, to)),
    notes: [],
    topLevelErrors: facts.topLevelErrors,
  };
}

/**
 * The lines re-read for a change of old lines [first, last]: the function it
 * lies strictly inside (its first and last lines unchanged), or else from the
 * start of the last function before the change to the end of the first one
 * after it (or of the file), which takes in any function whose first or last
 * line it touches. null when no function comes before the change.
 */
function windowOf(fns: FunctionFact[], first: number, last: number, lines: number): { from: number; to: number; between: boolean } | null {
  let inside: FunctionFact | null = null;
  let prev: FunctionFact | null = null;
  let next: FunctionFact | null = null;
  let touched = false;
  for (const f of fns) {
    if (f.line < first && f.endLine > last) {
      if (inside) return null; // two definitions on the same lines: not worth sorting out
      inside = f;
    } else if (f.line <= last && f.endLine >= first) touched = true;
    else if (f.endLine < first) {
      if (!prev || f.endLine > prev.endLine) prev = f;
    } else if (!next || f.line < next.line) next = f;
  }
  if (inside && !touched) return inside.hasError ? null : { from: inside.line, to: inside.endLine, between: false };
  if (inside || !prev || prev.hasError || next?.hasError) return null;
  return { from: prev.line, to: next ? next.endLine : lines, between: true };
}

/** The items with the window's file-level condition, which a parse of the window alone cannot see. */
function withCond<T>(xs: T[], cond: string): T[] {
  return xs.map((x) => ('cond' in (x as object) ? { ...x, cond } : x));
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
 * preprocessor. Their brackets need not pair up among themselves (a changed
 * signature line opens a body the next unchanged line goes on with): the
 * window they are in must parse cleanly alone, which it cannot with a bracket
 * left open or closed too often.
 */
function lexicallyLocal(s: string, starts: number[], from: number, to: number): boolean {
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
      i++;
    }
  }
  return true;
}

/**
 * Lines [from, to] of s, parsed after from - 1 empty lines: their lines and
 * columns are those of the file (facts hold no byte offsets). null unless the
 * parse is clean: no error anywhere in the tree (a MISSING `)` included), no
 * note, no typedef (which has no line to place it by).
 */
function alone(s: string, starts: number[], from: number, to: number, rel: string, normalize: Normalizer, limits: ParseLimits): FileFacts | null {
  const a = starts[from - 1];
  const b = to < starts.length ? starts[to] : s.length;
  const f = parseClean('\n'.repeat(from - 1) + s.slice(a, b), rel, normalize, limits);
  if (!f) return null;
  if (f.typedefs.length || f.notes.length || f.topLevelErrors) return null;
  return f;
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
