// `callorder rules list`: the pack's rules, one a line. `callorder rules
// test`: every rule's examples (driver/examples.ts); exit 0 when all pass, 1
// when one fails, 2 (from the CLI) when the pack is bad.

import * as path from 'node:path';
import { entryOf, entryName, type RuleSpec } from '../pack/rule-spec';
import { examplesDir, type Pack } from '../pack/load';
import { runExamples, diffExcerpt, type CaseResult } from '../driver/examples';
import { CommonArgs, resolvePack, json } from './common';
import { maxOf } from '../util/append';
import type { Io } from '../util/io';

export function rulesCmd(a: CommonArgs & { action: string; format?: string }, io: Io): number {
  const pack = resolvePack(a, io);
  return a.action === 'list' ? list(pack, a.format, io) : test(pack, a.format, io);
}

/** The first sentence of a description, cut to `max` characters. */
function short(text: string | undefined, max = 90): string {
  if (!text) return '';
  const first = /^.*?(?<!\b(?:e\.g|i\.e))\.(?=\s+[A-Z]|$)/s.exec(text)?.[0] ?? text;
  return first.length > max ? `${first.slice(0, max - 3)}...` : first;
}

function entriesText(r: RuleSpec): string {
  return r.entries?.length ? r.entries.map((e) => entryName(entryOf(e))).join(', ') : '(every function that makes the change)';
}

function list(pack: Pack, format: string | undefined, io: Io): number {
  const cwd = io.cwd;
  if (format === 'json') {
    io.stdout.write(json(pack.rules.map((r) => {
      const dir = examplesDir(pack, r);
      return {
        id: r.id, kind: r.kind, confidence: r.confidence, seed: r.seed ?? [],
        entries: r.entries?.map((e) => entryName(entryOf(e))) ?? [],
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
