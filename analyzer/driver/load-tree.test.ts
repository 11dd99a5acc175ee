// loadTreeAsync lets the event loop turn between files so that tree-sitter's
// syntax trees, freed only by finalizers that run when it turns, do not pile
// up: a whole kernel tree was at 12 GB of resident memory when stopped after
// three minutes without it. Measured in a child process with the garbage collector
// forced after every file, so the only thing that can keep trees alive is a
// loop that never turns; twelve files of 100,000 nested parentheses hold
// about 25 MB of syntax tree each.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const FILES = 12;
const LIMIT_MB = 150;

test(`loadTreeAsync frees each syntax tree: ${FILES} files with big trees grow RSS by less than ${LIMIT_MB} MB`, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-loadtree-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kvm = path.join(dir, 'arch', 'x86', 'kvm');
  fs.mkdirSync(kvm, { recursive: true });
  const text = `int f(void) { return ${'('.repeat(100000)}1${')'.repeat(100000)}; }\n`;
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(kvm, `f${i}.c`), text);
  const probe = `
    const { loadTreeAsync } = require(${JSON.stringify(path.join(__dirname, 'load-tree'))});
    const { loadPack, defaultPackPath } = require(${JSON.stringify(path.join(__dirname, '..', 'pack', 'load'))});
    const pack = loadPack(defaultPackPath());
    const before = process.memoryUsage().rss;
    loadTreeAsync(${JSON.stringify(dir)}, pack, { onProgress: () => global.gc() }).then((tree) => {
      process.stdout.write(JSON.stringify({ files: tree.files.length, grewMB: (process.memoryUsage().rss - before) / 1048576 }));
    });`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', probe], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { files: number; grewMB: number };
  t.diagnostic(`RSS grew by ${out.grewMB.toFixed(0)} MB over ${out.files} files`);
  assert.equal(out.files, FILES);
  assert.ok(out.grewMB < LIMIT_MB, `RSS grew by ${out.grewMB.toFixed(0)} MB: syntax trees are kept alive`);
});
