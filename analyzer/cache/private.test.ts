// The cache is the user's alone and never fails in silence (issue 19, items 7
// and 8): under umask 022 every entry a check and a review write, the text
// of the patched files among them, is 0600 and every directory 0700, and a
// directory under the cache's root made wider before is narrowed (a root the
// user made is left as made); a cache on a disk that fills
// up (a 256 KiB tmpfs, mounted here when the test runs as root) gives the
// same output, one line saying the cache could not be written, no temporary
// file left, and the same line on the next run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { speedTree, SPEED_PACK, CLI } from '../source/speed-tree.fixture';

function run(args: string[], cache: string, input?: string) {
  const env = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache, CALLORDER_NO_SERVER: '1' };
  const r = spawnSync('sh', ['-c', 'umask 022; exec "$@"', 'sh', process.execPath, CLI, ...args], { encoding: 'utf8', env, input, timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** every file and directory under dir with its mode */
function modes(dir: string): { files: [string, number][]; dirs: [string, number][] } {
  const files: [string, number][] = [];
  const dirs: [string, number][] = [[dir, fs.statSync(dir).mode & 0o777]];
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const st = fs.lstatSync(path.join(dir, String(rel)));
    (st.isDirectory() ? dirs : files).push([String(rel), st.mode & 0o777]);
  }
  return { files, dirs };
}

test('cache entries are 0600 and its directories 0700 under umask 022, patches under review among them', () => {
  const tree = speedTree(4);
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cache-'));
  // a cache directory callorder makes is 0700; its kinds' directories made before, open to all, are narrowed
  const cache = path.join(parent, 'cache');
  try {
    const kept = path.join(parent, 'kept');
    fs.mkdirSync(path.join(kept, 'facts'), { recursive: true });
    fs.chmodSync(kept, 0o755);
    fs.chmodSync(path.join(kept, 'facts'), 0o755);
    assert.equal(run(['check', tree, '--rules', SPEED_PACK], kept).status, 1);
    assert.equal(fs.statSync(path.join(kept, 'facts')).mode & 0o777, 0o700, 'a kind\'s directory narrowed');
    assert.equal(fs.statSync(kept).mode & 0o777, 0o755, 'a root the user made is left as made (it may be shared on purpose)');
    assert.deepEqual(modes(kept).files.filter(([, mode]) => mode !== 0o600), []);
    assert.equal(run(['check', tree, '--rules', SPEED_PACK], cache).status, 1);
    const patch = ['From 1 Mon Sep 17 00:00:00 2001', 'From: a <a@example.org>', 'Subject: [PATCH] secret', '', '---',
      '--- /dev/null', '+++ b/drv0/secret.c', '@@ -0,0 +1 @@', '+int secret_of_the_sender(void) { return 42; }', ''].join('\n');
    const r = run(['review', '-', '--tree', tree, '--rules', SPEED_PACK, '--format', 'json'], cache, patch);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const m = modes(cache);
    assert.ok(m.files.length > 10, `entries were written: ${m.files.length}`);
    assert.deepEqual(m.files.filter(([, mode]) => mode !== 0o600), [], 'every entry 0600');
    assert.deepEqual(m.dirs.filter(([, mode]) => mode !== 0o700), [], 'every directory 0700');
    // the patched file's text is in the cache, and only its owner can read it
    const holding = m.files.filter(([rel]) => fs.readFileSync(path.join(cache, rel), 'latin1').includes('secret_of_the_sender'));
    assert.ok(holding.length > 0);
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

test('a cache on a disk that fills up: the same output, one line saying so, no temporary file, and again on the next run',
  { skip: isRoot ? false : 'needs root to mount a small tmpfs for the cache' }, (t) => {
    const tree = speedTree(60);
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-full-'));
    const mnt = path.join(base, 'cache');
    fs.mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
      fs.rmSync(base, { recursive: true, force: true });
      fs.rmSync(tree, { recursive: true, force: true });
      return;
    }
    try {
      const args = ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
      const uncached = run([...args, '--no-cache'], path.join(base, 'unused'));
      for (const n of [1, 2]) {
        const r = run(args, mnt);
        assert.equal(r.status, uncached.status, r.stderr);
        assert.equal(r.stdout, uncached.stdout, `run ${n}: the same findings`);
        const lines = r.stderr.split('\n').filter((l) => l.includes('cannot write the cache'));
        assert.equal(lines.length, 1, `run ${n}: once a run:\n${r.stderr}`);
        assert.match(lines[0], /^callorder: cannot write the cache at .* \(ENOSPC\): this run is not cached, and neither is the next until it can be; `callorder cache clear` empties it$/);
        const tmp = (fs.readdirSync(mnt, { recursive: true }) as string[]).filter((f) => String(f).includes('.tmp-'));
        assert.deepEqual(tmp, [], 'no temporary file left');
      }
      assert.equal(run(['cache', 'clear'], mnt).status, 0);
    } finally {
      spawnSync('umount', [mnt]);
      fs.rmSync(base, { recursive: true, force: true });
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
