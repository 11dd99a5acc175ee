// The whole-tree path holds for any number of files: a check of a generated
// tree of 150,000 small kernel-style files (more than twice 7.2's 63,787)
// through the CLI, streamed as the whole kernel is (--max-body-bytes 1) and
// with a cache of its own, so the result key over every file is made. Before
// the key was made without a spread, this ended in "internal error: Maximum
// call stack size exceeded" within seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { resultKeyOf } from '../driver/analyze';
import { sha } from '../cache/store';
import { loadPack, defaultPackPath } from '../pack/load';
import { DEFAULT_LIMITS } from '../parse/parse-file';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');
const FILES = 150_000;
const PER_DIR = 500;
/** larger than --max-file-size: skipped with a note, which must account for it */
const BIG = 'drivers/big/huge.c';

/**
 * Creating 300,000 small files (the tree, then a cache entry each) costs about
 * 45 s of system time on an ext4 disk and 2 s in memory: the test works in
 * /dev/shm where there is one.
 */
function scratchBase(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    /* not Linux, or not writable */
  }
  return os.tmpdir();
}

/** Half .c files defining one function, half the .h files they include; returns the relative paths. */
function generate(root: string): Set<string> {
  const all = new Set<string>();
  let dir = '';
  for (let i = 0; i < FILES - 1; i++) {
    if (i % PER_DIR === 0) {
      dir = `drivers/d${Math.floor(i / (PER_DIR * 20))}/s${Math.floor(i / PER_DIR)}`;
      fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    // the first file is one the pack is about: a tree with none of them is refused (issue 19.7)
    const rel = i === 0 ? 'arch/x86/kvm/f0.c' : `${dir}/f${i}.${i % 2 ? 'h' : 'c'}`;
    if (i === 0) fs.mkdirSync(path.join(root, 'arch/x86/kvm'), { recursive: true });
    const text = i % 2
      ? `/* SPDX-License-Identifier: GPL-2.0 */\n#ifndef _F${i}_H\n#define _F${i}_H\nstruct s${i} { int a; };\n#endif\n`
      : `// SPDX-License-Identifier: GPL-2.0\n#include "f${i + 1}.h"\n\nstatic int f${i}(struct s${i + 1} *s)\n{\n\treturn s->a + 1;\n}\n`;
    fs.writeFileSync(path.join(root, rel), text);
    all.add(rel);
  }
  fs.mkdirSync(path.join(root, path.dirname(BIG)), { recursive: true });
  fs.writeFileSync(path.join(root, BIG), `int big;\n${'/* padding */\n'.repeat(400)}`);
  all.add(BIG);
  return all;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

test('a check of 150,000 files streams them all and accounts for every one', { timeout: 240_000 }, async () => {
  const base = fs.mkdtempSync(path.join(scratchBase(), 'callorder-many-'));
  try {
    const root = path.join(base, 'tree');
    const all = generate(root);
    assert.equal(all.size, FILES);
    const env = { ...process.env, CALLORDER_ANALYSIS_CACHE: path.join(base, 'cache') };
    const r = await runCli(['check', root, '--include', '**/*.c', '--include', '**/*.h', '--max-body-bytes', '1', '--max-file-size', '4096',
      '--format', 'json'], env);
    assert.doesNotMatch(r.stderr, /internal error|^\s{4}at /m, r.stderr.slice(0, 2000));
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr.slice(0, 2000)}`);
    const j = JSON.parse(r.stdout) as { stats: { files: number; functions: number; notes: string[] } };
    const skipped = j.stats.notes.filter((n) => /\bskipped$/.test(n));
    assert.deepEqual(skipped.map((n) => n.split(':')[0]), [BIG], skipped.join('\n'));
    assert.equal(j.stats.files + skipped.length, FILES, 'every file read or named in a note');
    // every .c file's function, none twice
    assert.equal(j.stats.functions, FILES / 2);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('the result key over 300,000 files is the hash of its parts in order, as before', () => {
  const pack = loadPack(defaultPackPath());
  const files: [string, string][] = [];
  for (let i = 0; i < 300_000; i++) files.push([`d/f${i}.c`, `k${i}`]);
  // no RangeError: the parts are not passed as arguments
  const big = resultKeyOf(pack, DEFAULT_LIMITS, ['r'], files);
  assert.match(big, /^[0-9a-f]{64}$/);
  assert.notEqual(big, resultKeyOf(pack, DEFAULT_LIMITS, ['r'], files.slice(1)));
  // the key sha() gave for the same parts when they were spread into it: caches written before stay valid
  const { include, exclude, frontend, program, engine, rules, ruleFile } = pack;
  const packKey = sha(JSON.stringify({ include, exclude, frontend, program, engine, rules, ruleFile }));
  const limits = `${DEFAULT_LIMITS.maxFileSize}/${DEFAULT_LIMITS.timeoutMs}`;
  assert.equal(resultKeyOf(pack, DEFAULT_LIMITS, ['r'], [['a.c', 'k1'], ['b.h', 'k2']]), sha(packKey, limits, '["r"]', 'a.c', 'k1', 'b.h', 'k2'));
});
