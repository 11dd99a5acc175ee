// Seed mutations on the real Debian trees: each case in
// fixtures/mutations/<version>.json is a small edit of our own that puts a
// seed's hazard back into a realistic place (or, for a "correct design"
// case, makes a change the seeds say is right). The default pack runs on
// the mutated tree and the findings the edit adds, matched by fingerprint
// against the clean tree, must be exactly the expected ones, each with its
// whole path.
//
// The tree is parsed once; a case re-parses only the files it edits.
// CALLORDER_MUTATIONS_PRINT=1 prints what each case adds, for writing cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fetchKernel } from '../source/fetch-kernel';
import { loadTree } from '../driver/load-tree';
import { mutatedTree, type Edit } from '../driver/mutate.testlib';
import { loadPack, defaultPackPath } from '../pack/load';
import { makeProgram } from '../program/callgraph';
import { runRules } from './run';
import type { Finding } from './finding';

interface Expected {
  rule: string;
  function: string;
  /** the field, or the operation, the finding names */
  names: string;
  /** functions of the trace, entry first */
  trace: string[];
}

interface Mutation {
  id: string;
  seed: string;
  design?: 'correct';
  why: string;
  edits: Edit[];
  expect: Expected[];
  /** findings of the clean tree the edit must make go away (a fix) */
  removes?: Omit<Expected, 'trace'>[];
}

const FIXTURES = path.resolve(__dirname, '../../../fixtures/mutations');
const TRIAGE = path.resolve(__dirname, '../../../docs/triage.md');
const PRINT = !!process.env.CALLORDER_MUTATIONS_PRINT;

function names(f: Finding): string {
  return `${f.field ?? ''} ${f.message}`;
}

function describe(f: Finding): string {
  return JSON.stringify({ rule: f.rule, function: f.function, names: f.field ?? f.message, trace: f.trace.map((s) => s.function) });
}

/** The rows `| n | rule | file:line | function | verdict |` under the `## linux-source-<version>` heading. */
function triaged(version: string): string[] {
  const md = fs.readFileSync(TRIAGE, 'utf8');
  const start = md.indexOf(`## linux-source-${version} `);
  assert.ok(start >= 0, `docs/triage.md has no section for ${version}`);
  const end = md.indexOf('\n## ', start + 1);
  const rows: string[] = [];
  for (const line of md.slice(start, end < 0 ? undefined : end).split('\n')) {
    const m = /^\| *\d+ *\| *([\w-]+) *\| *(\S+) *\| *(\w+) *\|/.exec(line);
    if (m) rows.push(`${m[1]} ${m[2]} ${m[3]}`);
  }
  return rows.sort();
}

for (const version of ['7.2', '6.12', '6.1'] as const) {
  const file = path.join(FIXTURES, `${version}.json`);
  const cases = JSON.parse(fs.readFileSync(file, 'utf8')) as Mutation[];
  test(`seed mutations on Debian ${version}: ${cases.length} cases`, async (t) => {
    const root = fetchKernel(version);
    const pack = loadPack(defaultPackPath());
    const base = loadTree(root, pack);
    const clean = runRules(makeProgram(base, pack), pack);
    const known = new Set(clean.findings.map((f) => f.id));
    await t.test('the clean tree gives exactly the findings docs/triage.md lists, at most 10', () => {
      const got = clean.findings.map((f) => `${f.rule} ${f.file}:${f.line} ${f.function}`).sort();
      assert.deepEqual(got, triaged(version));
      assert.ok(got.length <= 10);
    });
    for (const m of cases) {
      await t.test(`${m.id} (seed ${m.seed}${m.design ? ', correct design' : ''})`, () => {
        const tree = mutatedTree(base, pack, m.id, m.edits);
        const res = runRules(makeProgram(tree, pack), pack);
        const added = res.findings.filter((f) => !known.has(f.id));
        if (PRINT) for (const f of added) process.stderr.write(`${m.id}: ${describe(f)}\n`);
        if (m.design === 'correct') assert.equal(m.expect.length, 0, `${m.id}: a correct design expects nothing`);
        else assert.ok(m.expect.length > 0, `${m.id}: a mutation must expect a finding`);
        // every expected finding, with its whole path
        for (const e of m.expect) {
          const same = (f: Finding) => f.rule === e.rule && f.function === e.function && names(f).includes(e.names);
          // one function may read at several places: the finding with the expected path, else the first to compare with
          const hit = added.find((f) => same(f) && f.trace.map((s) => s.function).join() === e.trace.join()) ?? added.find(same);
          assert.ok(hit, `${m.id}: no new ${e.rule} finding in ${e.function}() naming ${e.names}; added: ${added.map(describe).join('; ') || 'none'}`);
          assert.deepEqual(hit.trace.map((s) => s.function), e.trace, `${m.id}: path of the ${e.rule} finding`);
        }
        // and nothing else
        const extra = added.filter((f) => !m.expect.some((e) => f.rule === e.rule && f.function === e.function && names(f).includes(e.names)));
        assert.deepEqual(extra.map(describe), [], `${m.id}: findings the case does not expect`);
        for (const r of m.removes ?? []) {
          const was = clean.findings.filter((f) => f.rule === r.rule && f.function === r.function && names(f).includes(r.names));
          assert.ok(was.length > 0, `${m.id}: the clean tree has no ${r.rule} finding in ${r.function}() to remove`);
          const still = res.findings.filter((f) => was.some((w) => w.id === f.id));
          assert.deepEqual(still.map(describe), [], `${m.id}: the fix leaves the finding`);
        }
      });
    }
  });
}
