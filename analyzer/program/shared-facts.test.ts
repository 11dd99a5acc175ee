// Facts are shared: a fact cache hands the same FileFacts to every run, and a
// review builds a program for the base tree and one for the patched tree from
// mostly the same facts. So no stage may write into them. The facts of two
// fixtures are frozen all the way down (a write throws) and linked into two
// programs, one after the other; both must resolve the same, the run-time
// patch of a named table must still be seen, and the facts' JSON must be the
// one they had when parsed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadTree } from '../driver/load-tree';
import { loadPack } from '../pack/load';
import { makeProgram, indirectStats } from './callgraph';
import { graphFrom } from './graph-view';
import { computeStats } from '../report/stats';
import { deepFreeze } from '../util/deep-freeze';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'program');

for (const name of ['runtime', 'ops']) {
  test(`program model on frozen facts (${name}): nothing written into them, two programs agree`, () => {
    const dir = path.join(FIXTURES, name);
    const pack = loadPack(path.join(dir, 'pack.json'));
    const tree = loadTree(dir, pack);
    const before = JSON.stringify(tree.files);
    deepFreeze(tree.files);
    const views = [0, 1].map(() => {
      const p = makeProgram(tree, pack);
      const hooks = [...p.hookImpls].map(([k, v]) => `${k}=${v.map((x) => `${x.table.name}:${x.fn}`).join(',')}`).sort();
      const graphs = [...p.functions.keys()].sort().map((f) => JSON.stringify(graphFrom(p, f, { depth: 4 })));
      return JSON.stringify({ hooks, ind: indirectStats(p), graphs, stats: computeStats(tree) });
    });
    assert.equal(views[1], views[0]);
    assert.equal(JSON.stringify(tree.files), before);
    if (name === 'runtime') {
      // the table patched by assignment in demo_hardware_setup() has the member in the program, not in the facts
      assert.match(views[0], /demo_hooks\.notify=demo_hooks_table:demo_notify_impl/);
      const t = tree.files.flatMap((f) => f.tables).find((x) => x.name === 'demo_hooks_table');
      assert.deepEqual(Object.keys(t?.members ?? {}), ['flush']);
    }
  });
}
