// A rule's examples are its tests (the ast-grep/Semgrep way). The directory a
// rule's `examples` key names holds cases: a case is the files <case>.c (and
// <case>.h), named valid-* or invalid-*, with the directory's other headers,
// which every case shares. A valid case must give no finding; an
// invalid one exactly the text in <case>.expected, as `callorder check` prints
// it. Each case is a tree of its own, run with the pack's rules whose examples
// are that directory and no other rule. `callorder rules test` and the unit
// tests both run cases through here.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTree } from './load-tree';
import { makeProgram } from '../program/callgraph';
import { runRules } from '../flow/run';
import { renderText } from '../report/text';
import { examplesDir, type Pack } from '../pack/load';
import { append } from '../util/append';

export interface ExampleCase {
  name: string;
  valid: boolean;
  /** the case's source files and the shared headers, relative to its directory */
  files: string[];
  /** what an invalid case must print; null when there is no .expected file */
  expected: string | null;
}

/** The rules that share one examples directory, and its cases. */
export interface ExampleSuite {
  rules: string[];
  dir: string;
  cases: ExampleCase[];
  /** what is wrong with the directory itself (a stray .expected, no cases) */
  problems: string[];
}

export interface CaseResult {
  /** rule ids, joined with `+` when several rules share the directory */
  label: string;
  dir: string;
  case: string;
  ok: boolean;
  actual: string;
  expected: string;
  problems: string[];
}

const CASE_FILE = /^((?:valid|invalid)-[A-Za-z0-9_-]+)\.(c|h|expected)$/;

/** Normalise line ends and the final newline of an .expected file. */
function expectedText(s: string): string {
  const t = s.replace(/\r\n/g, '\n').replace(/\s+$/, '');
  return t ? `${t}\n` : '';
}

export function casesIn(dir: string): { cases: ExampleCase[]; problems: string[] } {
  const byName = new Map<string, { files: string[]; expected: string | null }>();
  const problems: string[] = [];
  const shared: string[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    const m = CASE_FILE.exec(file);
    if (!m) {
      if (file.endsWith('.h')) shared.push(file);
      continue;
    }
    let c = byName.get(m[1]);
    if (!c) byName.set(m[1], (c = { files: [], expected: null }));
    if (m[2] === 'expected') c.expected = expectedText(fs.readFileSync(path.join(dir, file), 'utf8'));
    else c.files.push(file);
  }
  const cases: ExampleCase[] = [];
  for (const [name, c] of byName) {
    if (!c.files.some((f) => f.endsWith('.c'))) {
      problems.push(`${name}: no ${name}.c`);
      continue;
    }
    cases.push({ name, valid: name.startsWith('valid-'), files: [...shared, ...c.files].sort(), expected: c.expected });
  }
  if (!cases.length) problems.push('no valid-*.c or invalid-*.c case');
  return { cases, problems };
}

/** The pack's rules grouped by examples directory, in pack order. */
export function exampleSuites(pack: Pack): ExampleSuite[] {
  const byDir = new Map<string, ExampleSuite>();
  for (const r of pack.rules) {
    const dir = examplesDir(pack, r);
    if (!dir) continue;
    let s = byDir.get(dir);
    if (!s) byDir.set(dir, (s = { rules: [], dir, ...casesIn(dir) }));
    s.rules.push(r.id);
  }
  return [...byDir.values()];
}

export function runCase(pack: Pack, suite: ExampleSuite, c: ExampleCase): CaseResult {
  const problems: string[] = [];
  const tree = loadTree(suite.dir, pack, { include: c.files });
  append(problems, tree.notes);
  for (const f of tree.files) {
    for (const fn of f.functions) if (fn.hasError) problems.push(`${fn.file}:${fn.line}: ${fn.name}() does not parse cleanly`);
  }
  const res = runRules(makeProgram(tree, pack), pack, suite.rules);
  if (res.entriesRun === 0) problems.push(`the case defines no entry of ${suite.rules.join(', ')}: it tests nothing`);
  append(problems, res.partial);
  const actual = renderText(res.findings);
  let expected = '';
  if (c.valid) {
    if (c.expected !== null) problems.push(`${c.name}.expected: a valid case must report nothing, so it has no .expected file`);
  } else if (c.expected === null) problems.push(`no ${c.name}.expected`);
  else if (c.expected === '') problems.push(`${c.name}.expected is empty: an invalid case must report`);
  else expected = c.expected;
  return {
    label: suite.rules.join('+'),
    dir: suite.dir,
    case: c.name,
    ok: problems.length === 0 && actual === expected,
    actual,
    expected,
    problems,
  };
}

export interface ExamplesRun {
  results: CaseResult[];
  /** rules without examples */
  without: string[];
  /** per directory: what is wrong with it as a whole */
  suiteProblems: { label: string; dir: string; problems: string[] }[];
}

export function runExamples(pack: Pack, each?: (r: CaseResult) => void): ExamplesRun {
  const out: ExamplesRun = { results: [], without: [], suiteProblems: [] };
  for (const r of pack.rules) if (r.examples === undefined) out.without.push(r.id);
  for (const s of exampleSuites(pack)) {
    if (s.problems.length) out.suiteProblems.push({ label: s.rules.join('+'), dir: s.dir, problems: s.problems });
    for (const c of s.cases) {
      const r = runCase(pack, s, c);
      out.results.push(r);
      each?.(r);
    }
  }
  return out;
}

/**
 * A diff of expected against actual output, a line each: `-` expected only,
 * `+` actual only, ` ` both; at most `max` lines around the differences.
 */
export function diffExcerpt(expected: string, actual: string, max = 24): string[] {
  const a = expected ? expected.replace(/\n$/, '').split('\n') : [];
  const b = actual ? actual.replace(/\n$/, '').split('\n') : [];
  // longest common subsequence: outputs are a few dozen lines
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])) lines.push(`- ${a[i++]}`);
    else lines.push(`+ ${b[j++]}`);
  }
  // keep two lines of context around each change; `...` stands for what is left out
  const keep = lines.map((l, k) => lines.slice(Math.max(0, k - 2), k + 3).some((x) => x[0] !== ' '));
  const out: string[] = [];
  for (const [k, l] of lines.entries()) {
    if (keep[k]) out.push(l);
    else if (out[out.length - 1] !== '  ...') out.push('  ...');
  }
  if (out.length > max) return [...out.slice(0, max), `  ... (${out.length - max} more lines)`];
  return out;
}
