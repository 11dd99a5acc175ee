// The text form read back lazily (facts-text.ts): a body is parsed when it is
// first asked for and not before, and what is read back is what was written,
// byte for byte, whichever bodies were asked for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseText, DEFAULT_LIMITS } from './parse-file';
import { factsToText, factsFromText } from './facts-text';
import { skeleton } from '../driver/incremental';
import { makeNormalizer } from './normalize';
import { loadPack, defaultPackPath } from '../pack/load';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'reparse', 'base.c');

function text(): string {
  const r = parseText(fs.readFileSync(FIXTURE, 'latin1'), 'widget.c', makeNormalizer(loadPack(defaultPackPath()).frontend), DEFAULT_LIMITS);
  assert.ok(r.ok);
  assert.ok(r.facts.functions.length >= 4);
  return factsToText(r.facts);
}

/** The text with the body line of function k (0-based) made unreadable: reading that body, and only that one, throws. */
function spoiled(t: string, k: number): string {
  const lines = t.split('\n');
  // as long as a real body, which is read lazily (a very short one is read at once)
  lines[k + 1] = `{not json${' '.repeat(120)}`;
  return lines.join('\n');
}

test('facts text: a body is not parsed until it is asked for', () => {
  const f = factsFromText(spoiled(text(), 2));
  assert.equal(f.functions[2].name, JSON.parse(text().split('\n')[0]).functions[2].name);
  assert.ok(f.functions[0].body);
  assert.ok(f.functions[3].body);
  assert.throws(() => f.functions[2].body, SyntaxError);
  // the skeleton the near-tree check keeps leaves the bodies unread
  assert.equal(skeleton(f).functions.length, f.functions.length);
});

test('facts text: read back, written again, the same bytes, whichever bodies were read', () => {
  const t = text();
  assert.equal(factsToText(factsFromText(t)), t);
  const f = factsFromText(t);
  void f.functions[1].body;
  void f.functions[3].body;
  assert.equal(factsToText(f), t);
  // a lazy body is a plain property to JSON and to a spread, and its state is not
  const eager = JSON.parse(t.split('\n')[2]);
  assert.deepEqual(JSON.parse(JSON.stringify(f.functions[1])).body, eager);
  assert.deepEqual({ ...f.functions[1] }.body, eager);
  assert.deepEqual(Object.getOwnPropertySymbols({ ...f.functions[0] }), []);
});

test('facts text: a body assigned replaces the text it would have been read from', () => {
  const t = text();
  const f = factsFromText(t);
  f.functions[0].body = { k: 'block', body: [] };
  assert.deepEqual(f.functions[0].body, { k: 'block', body: [] });
  assert.notEqual(factsToText(f), t);
  assert.equal(factsToText(f).split('\n')[1], '{"k":"block","body":[]}');
});
