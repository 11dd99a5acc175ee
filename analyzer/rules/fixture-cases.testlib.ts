// The kind-level fixtures as node tests (ESLint's RuleTester, in spirit):
// fixtures/rules/<kind>/ holds a pack whose rules are of that kind and name
// the directory as their examples, and the cases. Every case runs through
// the real pipeline (driver/examples.ts, shared with `callorder rules test`):
// an invalid case must print exactly its .expected, a valid one nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadPack } from '../pack/load';
import { exampleSuites, runCase } from '../driver/examples';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

export function kindFixtureDir(kind: string): string {
  return path.join(ROOT, 'fixtures', 'rules', kind);
}

/** One test per case of the kind's fixtures. */
export function kindFixtureTests(kind: string): void {
  const dir = kindFixtureDir(kind);
  const pack = loadPack(path.join(dir, 'pack.json'));
  const suites = exampleSuites(pack);
  test(`${kind}: the fixture pack's rules are of this kind and own the fixture directory`, () => {
    assert.ok(pack.rules.length > 0);
    for (const r of pack.rules) assert.equal(r.kind, kind, r.id);
    assert.deepEqual(suites.map((s) => [s.dir, s.rules, s.problems]), [[dir, pack.rules.map((r) => r.id), []]]);
  });
  for (const s of suites) {
    for (const c of s.cases) {
      test(`${kind}: ${c.name}`, () => {
        const r = runCase(pack, s, c);
        assert.deepEqual(r.problems, []);
        assert.equal(r.actual, r.expected);
      });
    }
  }
}
