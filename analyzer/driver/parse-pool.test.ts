// Parsing in worker threads gives what parsing on one thread gives: the same
// facts in the same order, the same notes, the same check output to the byte,
// on a tree larger than the size below which no worker is started.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadTree, loadTreeAsync } from './load-tree';
import { loadPack } from '../pack/load';

import { speedTree, SPEED_PACK, CLI, FIXTURE } from '../source/speed-tree.fixture';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

test('pool: jobs 2 gives the facts and notes of jobs 1, in path order', async () => {
  const dir = speedTree(12);
  try {
    const pack = loadPack(SPEED_PACK);
    const one = loadTree(dir, pack);
    const two = await loadTreeAsync(dir, pack, { jobs: 2, minParallelBytes: 0 });
    assert.deepEqual(two, one);
    // bodies left on disk read back as they were
    const lean = await loadTreeAsync(dir, pack, { jobs: 2, minParallelBytes: 0, lean: true });
    assert.ok(lean.bodies);
    assert.equal(JSON.stringify(lean.files), JSON.stringify(one.files));
    assert.deepEqual(lean.notes, one.notes);
    assert.deepEqual(one.files.map((f) => f.file), [...one.files.map((f) => f.file)].sort());
    assert.ok(one.notes.some((n) => n.startsWith('drv0/binary.c:1:4: NUL byte')), one.notes.join('\n'));
    assert.ok(one.notes.some((n) => n.startsWith('drv3/latin1.c:1:7: invalid UTF-8')), one.notes.join('\n'));
    assert.ok(one.files.some((f) => f.functions.some((fn) => fn.hasError)), 'some function has a parse error');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pool: check --jobs 2 prints what --jobs 1 prints, byte for byte (text and JSON)', () => {
  const dir = speedTree(40);
  try {
    const bytes = fs.readdirSync(dir, { recursive: true }).reduce((n, f) => {
      const p = path.join(dir, String(f));
      return n + (fs.statSync(p).isFile() ? fs.statSync(p).size : 0);
    }, 0);
    assert.ok(bytes > 256 * 1024, `tree of ${bytes} bytes is large enough for the workers to start`);
    for (const format of ['json', 'text']) {
      const base = [
        'check', dir, '--rules', SPEED_PACK, '--format', format, '--no-cache',
      ];
      const one = run([...base, '--jobs', '1']);
      const two = run([...base, '--jobs', '2']);
      const lean = run([...base, '--jobs', '2'], { CALLORDER_BODIES: 'disk' });
      assert.equal(one.status, 1, one.stderr);
      assert.equal(two.status, 1, two.stderr);
      assert.equal(two.stdout, one.stdout);
      assert.equal(two.stderr, one.stderr);
      assert.equal(lean.stdout, one.stdout);
      assert.equal(lean.stderr, one.stderr);
      assert.match(one.stdout, /create\.c:6:9: dev_setup\(\)|"file": "create\.c"/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pool: --jobs must be a whole number of threads', () => {
  const r = run(['check', FIXTURE, '--rules', SPEED_PACK, '--jobs', '0', '--no-cache']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'callorder: --jobs must be a whole number of threads, 1 or more\n');
});
