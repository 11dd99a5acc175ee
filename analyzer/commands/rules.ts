// `callorder rules list`: the pack's rules, one a line; with --tree, each
// rule's entries in that tree, roles expanded to the functions found, and a
// note for each name of the pack the tree lacks (rules/names.ts)
// (program/roles.ts), one a line. `callorder rules
// test`: every rule's examples (driver/examples.ts); exit 0 when all pass, 1
// when one fails, 2 (from the CLI) when the pack is bad.

import * as path from 'node:path';
import { writtenName, type RuleSpec } from '../pack/rule-spec';
import { examplesDir, type Pack } from '../pack/load';
import { runExamples, diffExcerpt, type CaseResult } from '../driver/examples';
import { CommonArgs, resolvePack, readTree, log, json } from './common';
import { makeProgram } from '../program/callgraph';
import { confinedTo } from '../program/program';
import { walkedMatcher } from '../source/discover';
import { entriesOf } from '../flow/run';
import { unknownNameNotes } from '../rules/names';
import { listedName } from '../program/roles';
import { maxOf } from '../util/append';
import type { Io } from '../util/io';

export function rulesCmd(a: CommonArgs & { action: string; format?: string }, io: Io): number | Promise<number> {
  const pack = resolvePack(a, io);
  if (a.action === 'list' && a.tree) return listIn(a, pack, io);
  return a.action === 'list' ? list(pack, a.format, io) : test(pack, a.format, io);
}

/** Each rule's entries in the tree, in the order the rules run them: roles expanded, kinds' own entries found. */
async function listIn(a: CommonArgs & { format?: string }, pack: Pack, io: Io): Promise<number> {
  const { tree } = await readTree(a, io, pack);
  for (const n of tree.notes) log(io, n);
  let prog = makeProgram(tree, pack);
  // a pack author lists the rules against a tree to see what they will run from, and what they name that it lacks
  for (const n of unknownNameNotes(pack, prog)) log(io, n);
  // the functions the runs walk, as runRules confines them
  const walked = walkedMatcher(pack.include, pack.exclude, prog.files.map((f) => f.file));
  if (walked) prog = confinedTo(prog, walked);
  const rows = pack.rules.map((r) => ({
    id: r.id,
    entries: entriesOf(r, prog, pack.roles).map((e) => ({ name: listedName(e), defined: prog.functions.has(e.function) })),
  }));
  if (a.format === 'json') {
    io.stdout.write(json(rows.map((r) => ({ id: r.id, entries: r.entries.map((e) => e.name), missing: r.entries.filter((e) => !e.defined).map((e) => e.name) }))));
    return 0;
  }
  const w = maxOf(rows.map((r) => r.id.length));
  const lines: string[] = [];
  for (const r of rows) {
    if (!r.entries.length) lines.push(`${r.id.padEnd(w)}  (no entry in this tree)`);
    for (const e of r.entries) lines.push(`${r.id.padEnd(w)}  ${e.name}${e.defined ? '' : '  (not defined in the analysed files)'}`);
  }
  io.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
  return 0;
}

/** The first sentence of a description, cut to `max` characters. */
function short(text: string | undefined, max = 90): string {
  if (!text) return '';
  const first = /^.*?(?<!\b(?:e\.g|i\.e))\.(?=\s+[A-Z]|$)/s.exec(text)?.[0] ?? text;
  return first.length > max ? `${first.slice(0, max - 3)}...` : first;
}

function entriesText(r: RuleSpec): string {
  return r.entries?.length ? r.entries.map(writtenName).join(', ') : '(every function that makes the change)';
}

function list(pack: Pack, format: string | undefined, io: Io): number {
  const cwd = io.cwd;
  if (format === 'json') {
    io.stdout.write(json(pack.rules.map((r) => {
      const dir = examplesDir(pack, r);
      return {
        id: r.id, kind: r.kind, confidence: r.confidence, seed: r.seed ?? [],
        entries: r.entries?.map(writtenName) ?? [],
        description: r.description ?? '',
        file: path.relative(cwd, pack.ruleFile[r.id]),
        ...(dir ? { examples: path.relative(cwd, dir) } : {}),
      };
    })));
    return 0;
  }
  const rows = pack.rules.map((r) => [r.id, r.kind, r.confidence, `seed ${(r.seed ?? []).join(',') || '-'}`, entriesText(r), short(r.description)]);
  // align every column but the last two, which vary too much in width
  const widths = [0, 1, 2, 3].map((c) => maxOf(rows.map((row) => row[c].length)));
  const lines = rows.map((row) => row.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]) : cell)).join('  ').trimEnd());
  io.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
  return 0;
}

function test(pack: Pack, format: string | undefined, io: Io): number {
  const cwd = io.cwd;
  const print = (line: string) => {
    if (format !== 'json') io.stdout.write(`${line}\n`);
  };
  const run = runExamples(pack, (r: CaseResult) => {
    if (r.ok) print(`ok ${r.label} ${r.case}`);
    else {
      print(`FAIL ${r.label} ${r.case} (${path.relative(cwd, r.dir) || '.'})`);
      for (const p of r.problems) print(`    ${p}`);
      if (r.actual !== r.expected) {
        print(`    ${r.expected ? 'expected (-) and reported (+):' : 'a valid case, yet reported:'}`);
        for (const l of diffExcerpt(r.expected, r.actual)) print(`    ${l}`);
      }
    }
  });
  for (const s of run.suiteProblems) for (const p of s.problems) print(`FAIL ${s.label} (${path.relative(cwd, s.dir) || '.'}): ${p}`);
  for (const id of run.without) print(`skip ${id}: no examples`);
  const passed = run.results.filter((r) => r.ok).length;
  const failed = run.results.length - passed + run.suiteProblems.length;
  if (format === 'json') {
    io.stdout.write(json({
      pack: pack.name,
      cases: run.results.map((r) => ({ rule: r.label, case: r.case, ok: r.ok, problems: r.problems, ...(r.ok ? {} : { expected: r.expected, actual: r.actual }) })),
      directories: run.suiteProblems.map((s) => ({ rule: s.label, dir: path.relative(cwd, s.dir), problems: s.problems })),
      without: run.without,
      passed,
      failed,
    }));
  } else print(`${run.results.length} cases of ${pack.rules.length - run.without.length} rules: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
