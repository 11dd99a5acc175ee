// A YAML pack's parse is kept under the hash of its text and of how it was
// parsed: read back the next time, parsed again when the kept one is bad or
// the options differ, and never a reason for a run to fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsedYaml } from './yaml-cache';

test('a kept parse is read back, a bad one parsed again, another option is another entry', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-yaml-cache-'));
  const was = process.env.CALLORDER_ANALYSIS_CACHE;
  process.env.CALLORDER_ANALYSIS_CACHE = dir;
  t.after(() => {
    if (was === undefined) delete process.env.CALLORDER_ANALYSIS_CACHE;
    else process.env.CALLORDER_ANALYSIS_CACHE = was;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let parses = 0;
  const parse = () => {
    parses++;
    return { name: 'demo', n: parses };
  };
  assert.deepEqual(parsedYaml('name: demo\n', 'a', parse), { name: 'demo', n: 1 });
  assert.deepEqual(parsedYaml('name: demo\n', 'a', parse), { name: 'demo', n: 1 });
  assert.equal(parses, 1);
  const kept = fs.readdirSync(path.join(dir, 'packs'));
  assert.equal(kept.length, 1);
  fs.writeFileSync(path.join(dir, 'packs', kept[0]), '{"name": ');
  assert.deepEqual(parsedYaml('name: demo\n', 'a', parse), { name: 'demo', n: 2 });
  assert.deepEqual(parsedYaml('name: demo\n', 'b', parse), { name: 'demo', n: 3 });
  assert.deepEqual(parsedYaml('name: other\n', 'a', parse), { name: 'demo', n: 4 });
  // a cache that cannot be written costs a parse, not the run
  fs.rmSync(path.join(dir, 'packs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'packs'), 'a file where the directory would be');
  assert.deepEqual(parsedYaml('name: third\n', 'a', parse), { name: 'demo', n: 5 });
});
