// Nothing may keep a file's text alive once it is read: not its facts, not
// the normalizer's memo of names (its keys were slices of the file, so each
// file that brought a new long name stayed in memory for good). Ten files of
// 1 MB, each a comment, a macro and a function with long names: the facts
// need a few hundred bytes a file, so after a garbage collection the heap must
// hold far less than the 10 MB of the texts (the last text may stay, held by
// the engine's last regular-expression match).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

test('reading ten 1 MB files leaves under 3 MB of heap behind, not the texts', () => {
  const probe = `
    const { parseText, DEFAULT_LIMITS } = require(${JSON.stringify(path.join(__dirname, 'parse-file'))});
    const { makeNormalizer } = require(${JSON.stringify(path.join(__dirname, 'normalize'))});
    const { loadPack, defaultPackPath } = require(${JSON.stringify(path.join(__dirname, '..', 'pack', 'load'))});
    const normalize = makeNormalizer(loadPack(defaultPackPath()).frontend);
    const keep = [];
    // the syntax tree holds the text until its finalizer runs, when the event loop turns
    const settle = () => new Promise((r) => setImmediate(r)).then(() => global.gc());
    (async () => {
    parseText('int warm(void) { return 0; }', 'warm.c', normalize, DEFAULT_LIMITS);
    await settle();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10; i++) {
      const text = '/*' + 'x'.repeat(1 << 20) + '*/\\n#define A_LONG_MACRO_NAME(x) some_long_function_name(x)\\nstatic int a_function_with_a_long_name_' + i + '(struct some_long_struct_name *p)\\n{\\n\\treturn p->a_long_field_name;\\n}\\n';
      // as readSource has it: a flat string decoded from the file's bytes
      const r = parseText(Buffer.from(text, 'latin1').toString('latin1'), 'f' + i + '.c', normalize, DEFAULT_LIMITS);
      if (!r.ok) throw new Error(r.note);
      keep.push(r.facts);
      await settle();
    }
    await settle();
    process.stdout.write(String((process.memoryUsage().heapUsed - before) / 1048576));
    })();`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', probe], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const mb = Number(r.stdout);
  assert.ok(mb < 3, `ten files read leave ${mb.toFixed(1)} MB of heap behind: their texts are kept`);
});
