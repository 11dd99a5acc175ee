#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Unit and fixture
// tests are *.test.js; tests on the real Debian trees are *.kernel.test.js
// and fetch the trees through `callorder fetch-kernel` themselves.
//   node scripts/test.mjs            all tests
//   node scripts/test.mjs --unit     without the real-tree tests
import { readdirSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const root = new URL('..', import.meta.url).pathname;
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && !(unitOnly && name.endsWith('.kernel.test.js'))) files.push(p);
  }
})(join(root, 'dist'));
if (files.length === 0) {
  console.error('no test files under dist/: run `npm run build` first');
  process.exit(2);
}
// facts and results the tests' runs of callorder cache go to a directory of
// their own, never to the user's cache (the kernel trees are still shared)
const cache = mkdtempSync(join(tmpdir(), 'callorder-test-cache-'));
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, CALLORDER_ANALYSIS_CACHE: cache },
});
rmSync(cache, { recursive: true, force: true });
process.exit(r.status ?? 1);
