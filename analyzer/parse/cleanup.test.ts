// Scope-based cleanup on hostile input: thousands of guards in one block and
// a definition that never closes are read in bounded time and stack, and the
// uses within the bound are still made explicit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPack, defaultPackPath } from '../pack/load';
import { makeNormalizer } from './normalize';
import { parseText } from './parse-file';
import { definitionsSource } from './cleanup';
import { walkStmt } from '../program/walk';

const pack = loadPack(defaultPackPath());
const normalize = makeNormalizer(pack.frontend);
const LIMITS = { maxFileSize: 1 << 30, timeoutMs: 0 };

test('cleanup: 20,000 guards in one block are read, the first 64 of them made explicit', () => {
  const guards = new Array<string>(20000).fill('\tguard(mutex)(&l);\n').join('');
  const r = parseText(`void f(void)\n{\n${guards}\treturn;\n}\n`, 'many.c', normalize, LIMITS);
  assert.ok(r.ok, r.ok ? '' : r.note);
  let ctors = 0;
  let dtors = 0;
  walkStmt(r.facts.functions[0].body, [], (e) => {
    if (e.k === 'call' && e.cleanup && e.fn.k === 'id') {
      if (e.fn.name === 'class_mutex_constructor') ctors++;
      if (e.fn.name === 'class_mutex_destructor') dtors++;
    }
  });
  assert.equal(ctors, 64);
  // each of the 64 is released before the return and at the closing brace
  assert.equal(dtors, 128);
});

test('cleanup: a definition that never closes defines nothing and does not read on to the end', () => {
  const cfg = pack.frontend.cleanup!;
  const open = `DEFINE_GUARD(x, struct s *, lock(_T), unlock(_T)\n${'int a;\n'.repeat(100000)}`;
  assert.equal(definitionsSource(open, cfg), null);
  // each unclosed one is read for at most 8 KiB: 5,000 of them are 40 M characters, not the file's square
  assert.equal(definitionsSource('DEFINE_CLASS(y, int,\n'.repeat(5000), cfg), null);
  const ok = definitionsSource('\n\nDEFINE_FREE(kfree, void *, if (_T) kfree(_T))\n', cfg);
  assert.equal(ok, '\n\nstatic inline void __free_kfree(void * _T) { if (_T) kfree(_T); }\n');
});
