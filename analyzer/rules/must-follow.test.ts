// The must-follow fixtures (fixtures/rules/must-follow/): each invalid case reports exactly
// its .expected, each valid case nothing; and the entry scan reads only the bodies it must.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { kindFixtureDir, kindFixtureTests } from './fixture-cases.testlib';
import { loadPack } from '../pack/load';
import { loadTree } from '../driver/load-tree';
import { makeProgram } from '../program/callgraph';
import { entriesOf } from '../flow/run';
import { withBodyReads } from '../program/body-reads.fixture';

kindFixtureTests('must-follow');

test('must-follow: the entry scan reads only the bodies that assign a member the triggers write', () => {
  const dir = kindFixtureDir('must-follow');
  const pack = loadPack(path.join(dir, 'pack.json'));
  const tree = loadTree(dir, pack);
  const rule = pack.rules[0];
  const assigned = new Map(tree.files.flatMap((f) => f.functions).map((d) => [d.name, d.assignedMembers]));
  assert.deepEqual(assigned.get('widget_mode_done'), ['flags']);
  assert.deepEqual(assigned.get('alpha_cache_mode'), ['mode']);
  // the same facts with every body behind a getter that notes who was read
  const w = withBodyReads(tree);
  const read = w.read;
  const watched = makeProgram(w.tree, pack);
  read.clear();
  const entries = entriesOf(rule, watched);
  // alpha_cache_mode assigns the member but is exempt; widget_mode_done and widget_mode_changed assign none of it
  assert.deepEqual([...read].sort(), ['alpha_set_mode', 'beta_set_mode', 'widget_set_mode']);
  assert.deepEqual(entries, entriesOf(rule, makeProgram(tree, pack)));
  assert.deepEqual(entries.map((e) => e.function), ['alpha_set_mode', 'beta_set_mode', 'widget_set_mode']);
});
