// Blind summaries shared between entries are a saving, never a result
// (shared.test.ts checks every fixture): on the real 6.12 and 7.2 trees
// too, a run that keeps every summary private to its engine finds the
// same, finding for finding and step for step. A tree that cannot be had
// here is skipped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchKernel } from '../source/fetch-kernel';
import { loadTree } from '../driver/load-tree';
import { loadPack, defaultPackPath } from '../pack/load';
import { makeProgram } from '../program/callgraph';
import { withAndWithout } from './shared.fixture';

for (const version of ['6.12', '7.2']) {
  test(`Debian ${version}: the same findings with and without shared summaries`, (t) => {
    let root: string;
    try {
      root = fetchKernel(version);
    } catch (e) {
      t.skip(`the ${version} tree cannot be had here: ${(e as Error).message}`);
      return;
    }
    const pack = loadPack(defaultPackPath());
    const b = withAndWithout(makeProgram(loadTree(root, pack), pack), pack);
    t.diagnostic(`${b.shared.length} findings, ${b.stored} blind summaries stored`);
    assert.ok(b.shared.length > 0);
    assert.ok(b.stored > 1000, `${b.stored} blind summaries stored`);
    assert.deepEqual(b.shared, b.alone);
  });
}
