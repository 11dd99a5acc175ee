// The state's maps are shared until written (state.ts): a projection or a
// callee's return that keeps a map whole hands the map on, and a write on
// either side after that must not show on the other, nor leave a key that
// still reads the map as it was.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { State, project, applyProjected, merge } from './state';

const all = (): boolean => true;

test('state: a projection that keeps every fact shares them, and a write on either side stays on its side', () => {
  const caller = new State();
  caller.set('a', 1);
  caller.setVal('w.x', 3);
  const before = caller.key();
  const callee = project(caller, all, all);
  assert.equal(callee.key(), before);
  // the caller writes first: the map it owned before is the callee's now too
  const other = project(caller, all, all);
  caller.set('e', 1);
  assert.equal(other.get('e'), 0);
  assert.equal(other.key(), before);
  caller.set('e', 0);
  callee.set('b', 1);
  callee.setVal('w.x', 4);
  assert.equal(caller.get('b'), 0);
  assert.equal(caller.vals.get('w.x'), 3);
  assert.equal(caller.key(), before);
  caller.set('c', 1);
  assert.equal(callee.get('c'), 0);
  assert.notEqual(caller.key(), before);
});

test('state: a callee\'s return hands its facts on, and the caller\'s later writes do not reach the summary', () => {
  const caller = new State();
  caller.set('a', 1);
  const callee = project(caller, all, all);
  callee.set('b', 1);
  const summary = callee.key();
  const after = applyProjected(caller, callee, all, all);
  assert.equal(after.get('b'), 1);
  after.set('d', 1);
  assert.equal(callee.get('d'), 0);
  assert.equal(callee.key(), summary);
});

test('state: a key follows a write in place by the state that owns its map', () => {
  const st = merge(new State(), new State())!;
  st.set('a', 1);
  const k1 = st.key();
  st.set('b', 1);
  assert.notEqual(st.key(), k1);
  // another state with the same facts, made another way, has the same key
  const other = new State();
  other.set('b', 1);
  other.set('a', 1);
  assert.equal(other.key(), st.key());
  st.set('b', 0);
  assert.equal(st.key(), k1);
});

test('state: a projection that drops a fact has its own map, and the key says so', () => {
  const caller = new State();
  caller.set('r0:x', 1);
  caller.set('r1:y', 1);
  const callee = project(caller, all, (k) => k.startsWith('r0:'));
  assert.equal(callee.get('r1:y'), 0);
  assert.notEqual(callee.key(), caller.key());
  callee.set('r0:z', 1);
  assert.equal(caller.get('r0:z'), 0);
  const back = applyProjected(caller, callee, all, (k) => k.startsWith('r0:'));
  assert.equal(back.get('r1:y'), 1);
  assert.equal(back.get('r0:z'), 1);
});
