// On Debian's 6.12 tree: check with two worker threads prints what it prints
// on one, and from a warm cache (results, or facts only) what it printed cold.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from './fetch-kernel';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');

test('6.12: --jobs 2 = --jobs 1, and a warm cache = a cold one, byte for byte', () => {
  const root = fetchKernel('6.12');
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cache-'));
  const check = (...more: string[]) => spawnSync(process.execPath, [CLI, 'check', root, '--format', 'json', ...more], {
    encoding: 'utf8', env: { ...process.env, CALLORDER_ANALYSIS_CACHE: cache }, maxBuffer: 64 << 20,
  });
  try {
    const one = check('--jobs', '1', '--no-cache');
    assert.ok(one.status === 0 || one.status === 1, one.stderr);
    assert.ok(JSON.parse(one.stdout).stats.files > 90);
    const cold = check('--jobs', '2');
    assert.equal(cold.stdout, one.stdout);
    assert.equal(cold.stderr, one.stderr);
    const warm = check('--jobs', '2');
    assert.equal(warm.stdout, one.stdout);
    // facts from the cache, analysis run again
    fs.rmSync(path.join(cache, 'results'), { recursive: true });
    const facts = check('--jobs', '2');
    assert.equal(facts.stdout, one.stdout);
    assert.equal(facts.stderr, one.stderr);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
