// A body left on disk lives in a cache entry, and the cache is shared: another
// run or `callorder cache clear` can remove or rewrite the entry while this run
// still needs it. That once ended a whole-kernel check with an internal error
// (ENOENT from deep in the engine); it is bad input, named in one line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BodyStore } from './body-store';
import type { FunctionFact } from '../parse/ir';
import { InputError } from '../util/errors';

function lazyFn(store: BodyStore, file: string, text: string): FunctionFact {
  fs.writeFileSync(file, `header ${text}`);
  const fn = { name: 'f', file: 'a.c', line: 1 } as unknown as FunctionFact;
  store.attach(fn, { file, at: 'header '.length, length: Buffer.byteLength(text) });
  return fn;
}

test('a body whose cache entry was removed, shortened or rewritten under the run: an InputError naming the entry', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-bodies-'));
  const store = new BodyStore();
  t.after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const body = JSON.stringify({ k: 'block', body: [] });

  const kept = lazyFn(store, path.join(dir, 'kept.json'), body);
  assert.deepEqual(kept.body, { k: 'block', body: [] }, 'an entry left alone reads back');

  const cases: [string, (file: string) => void, RegExp][] = [
    ['removed', (f) => fs.rmSync(f), /removed during the run/],
    ['shortened', (f) => fs.writeFileSync(f, 'header '), /shortened during the run/],
    ['rewritten', (f) => fs.writeFileSync(f, `header ${'x'.repeat(body.length)}`), /rewritten during the run/],
  ];
  for (const [name, spoil, why] of cases) {
    const file = path.join(dir, `${name}.json`);
    const fn = lazyFn(store, file, body);
    spoil(file);
    assert.throws(() => fn.body, (e: unknown) => {
      assert.ok(e instanceof InputError, `${name}: ${String(e)}`);
      assert.match(e.message, why);
      assert.ok(e.message.startsWith(`${file}: cache entry`), e.message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  }
});
