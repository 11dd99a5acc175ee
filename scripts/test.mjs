#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Unit and fixture
// tests are *.test.js; tests on the real Debian trees are *.kernel.test.js
// and fetch the trees through `callorder fetch-kernel` themselves.
//   node scripts/test.mjs            all tests
//   node scripts/test.mjs --unit     without the real-tree tests
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
