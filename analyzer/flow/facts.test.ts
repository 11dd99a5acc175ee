// Each rule's facts are its own (facts.ts), and its handlers see only the
// events it declares (events.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadPack } from '../pack/load';
import { runExamples } from '../driver/examples';
import { loadTree } from '../driver/load-tree';
import { makeProgram } from '../program/callgraph';
import { FactSpace } from './facts';
import { confined } from './events';
import { Footprints } from './footprint';
import { State } from './state';
import type { CallEvent, Site } from './hooks';
import type { CallInfo } from '../program/callgraph';

const DIR = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'facts');

test('two rules on one entry and one field: an initializer one counts as a write is none for the other', () => {
  // both rules keep a fact per field written; they shared the key `w:gadget.mode`, and the reset rule was silent
  const run = runExamples(loadPack(path.join(DIR, 'pack.json')));
  assert.deepEqual(run.suiteProblems, []);
  assert.deepEqual(run.results.map((r) => [r.case, r.ok, r.problems]), [['invalid-defaults-only', true, []], ['valid-mode-written', true, []]]);
  assert.match(run.results[0].actual, /^invalid-defaults-only\.c:9:1: gadget_reset\(\): warning: gadget_reset does not write gadget\.mode on every path \[gadget-reset-writes-mode\]\n/);
});

test('fact spaces: one name in two rules is two keys; a space owns only its own', () => {
  const a = new FactSpace(0);
  const b = new FactSpace(1);
  const wa = a.facts('written');
  const wb = b.facts('written');
  const st = new State();
  wa.set(st, 'gadget.mode', 1);
  assert.equal(wa.get(st, 'gadget.mode'), 1);
  assert.equal(wb.get(st, 'gadget.mode'), 0);
  const keys = [...st.facts.keys()];
  assert.equal(keys.length, 1);
  assert.ok(a.owns(keys[0]));
  assert.ok(!b.owns(keys[0]));
  // a rule numbered 1 and one numbered 10 share no prefix
  assert.ok(!new FactSpace(10).owns(b.fact('x').key));
  assert.throws(() => a.facts('written'), /asked for twice/);
  assert.throws(() => a.fact('w:x'), /letters, digits/);
});

test('confined hooks: a handler sees only the fields and calls its rule declares, and the entry\'s return', () => {
  const pack = loadPack(path.join(DIR, 'pack.json'));
  const p = makeProgram(loadTree(DIR, pack, { include: ['gadget.h', 'valid-mode-written.c'] }), pack);
  const seen: string[] = [];
  const h = confined('r', {
    events: { fields: new Set(['gadget.mode']), calls: (n) => n === 'gadget_load_defaults' },
    onRead: (q) => { seen.push(`read ${q}`); },
    onWrite: (q) => { seen.push(`write ${q}`); },
    onCall: (c) => { seen.push(`call ${c.name}`); },
    onEntryReturn: () => { seen.push('return'); },
  }, new FactSpace(0), new Footprints(p));
  const st = new State();
  const at = {} as Site;
  const call = (name: string): CallEvent => ({ name, info: { name, targets: [] } as unknown as CallInfo, args: [], argExprs: [], sc: undefined as never });
  h.onRead!('gadget.mode', st, at);
  h.onRead!('gadget.ready', st, at);
  h.onWrite!('gadget.ready', st, at, 'assign');
  h.onWrite!('gadget.mode', st, at, 'assign');
  h.onCall!(call('gadget_load_defaults'), st, at);
  h.onCall!(call('memset'), st, at);
  h.onEntryReturn!(st, at);
  assert.deepEqual(seen, ['read gadget.mode', 'write gadget.mode', 'call gadget_load_defaults', 'return']);
  // the watch is the declaration and the space's facts
  assert.deepEqual([...h.watch.fields!], ['gadget.mode']);
  assert.ok(h.watch.calls!('gadget_load_defaults'));
  assert.ok(h.watch.facts('0/written:gadget.mode'));
  assert.ok(!h.watch.facts('1/written:gadget.mode'));
});
