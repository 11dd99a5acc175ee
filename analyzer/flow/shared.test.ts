// Blind summaries shared between entries (SharedSummaries) are a saving,
// never a result: a blind callee's analysis is a function of its key, so a
// run that keeps every summary private to its engine must find the same,
// finding for finding and step for step. Checked here on every fixture tree:
// each example case of each fixture pack (and of the default pack), and each
// directory of sources of a pack without examples. shared.kernel.test.ts
// does the same on the real trees.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTree } from '../driver/load-tree';
import { loadPack, defaultPackPath } from '../pack/load';
import { exampleSuites } from '../driver/examples';
import { makeProgram } from '../program/callgraph';
import type { Program } from '../program/program';
import { withAndWithout } from './shared.fixture';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'fixtures');

function packFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) for (const f of packFiles(p)) out.push(f);
    else if (e.name === 'pack.json') out.push(p);
  }
  return out;
}

/** Directories under `dir` (itself included) that hold C sources: a pack without examples is run on each. */
function sourceDirs(dir: string): string[] {
  const out: string[] = [];
  const ents = fs.readdirSync(dir, { withFileTypes: true });
  if (ents.some((e) => e.isFile() && e.name.endsWith('.c'))) out.push(dir);
  for (const e of ents) if (e.isDirectory()) for (const d of sourceDirs(path.join(dir, e.name))) out.push(d);
  return out.sort();
}

test('fixtures: the same findings with and without shared summaries', (t) => {
  const packs = [defaultPackPath(), ...packFiles(FIXTURES)];
  let trees = 0;
  let findings = 0;
  let stored = 0;
  for (const file of packs) {
    const pack = loadPack(file);
    const suites = exampleSuites(pack);
    const runs: { name: string; p: Program; only?: string[] }[] = [];
    for (const s of suites) {
      for (const c of s.cases) runs.push({ name: `${s.dir}/${c.name}`, p: makeProgram(loadTree(s.dir, pack, { include: c.files }), pack), only: s.rules });
    }
    if (!suites.length) for (const d of sourceDirs(path.dirname(file))) runs.push({ name: d, p: makeProgram(loadTree(d, pack), pack) });
    for (const r of runs) {
      const b = withAndWithout(r.p, pack, r.only);
      assert.deepEqual(b.shared, b.alone, path.relative(FIXTURES, r.name));
      trees++;
      findings += b.shared.length;
      stored += b.stored;
    }
  }
  t.diagnostic(`${packs.length} packs, ${trees} trees, ${findings} findings, ${stored} blind summaries stored`);
  // what the comparison stands on: many trees, findings among them, and blind summaries that were shared
  assert.ok(trees >= 60, `${trees} fixture trees`);
  assert.ok(findings >= 30, `${findings} findings`);
  assert.ok(stored > 0, 'no blind summary was stored: sharing was never exercised');
});
