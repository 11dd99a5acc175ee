// Wide input: 140,000 statements after one case label. Both the front end and
// the engine once appended them with push(...list), which passes every element
// as an argument and overflows the stack past about 125,000: the front end
// skipped the file ("fact extraction failed"), the engine threw out of the
// whole run. Found by the fuzz test (a 1 MB line of statements in a switch).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseText, DEFAULT_LIMITS } from './parse-file';
import { makeNormalizer } from './normalize';
import { loadPack, defaultPackPath } from '../pack/load';
import { makeProgram } from '../program/callgraph';
import { runRules } from '../flow/run';
import type { RuleSpec } from '../pack/rule-spec';

const N = 140_000;

test(`${N} statements after one case label: read whole, and walked by the engine`, () => {
  const pack = loadPack(defaultPackPath());
  const text = `void wide(int r)\n{\n\tswitch (r) {\n\tcase 0: ${'x(); '.repeat(N)}\n\tdefault: y();\n\t}\n}\n`;
  const r = parseText(text, 'wide.c', makeNormalizer(pack.frontend), { ...DEFAULT_LIMITS, timeoutMs: 0 });
  assert.ok(r.ok, r.ok ? '' : r.note);
  assert.deepEqual(r.facts.notes, []);
  const fn = r.facts.functions.find((f) => f.name === 'wide');
  assert.ok(fn);
  // switch body: the case block holds the label and every statement after it
  const sw = fn.body.k === 'block' ? fn.body.body[0] : undefined;
  assert.equal(sw?.k, 'switch');
  const caseBlock = sw?.k === 'switch' && sw.body.k === 'block' ? sw.body.body[0] : undefined;
  assert.equal(caseBlock?.k === 'block' ? caseBlock.body.length : 0, 1 + N);

  const prog = makeProgram({ root: '.', files: [r.facts], notes: [], bytes: text.length }, pack);
  const rules = pack.rules.map((x) => ({ ...x, entries: ['wide'] }) as RuleSpec);
  const res = runRules(prog, { ...pack, rules }, undefined);
  assert.ok(res.entriesRun > 0);
});
