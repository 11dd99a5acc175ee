// The fact and results cache: a warm run prints what a cold one printed; an
// entry that is truncated, belongs to another key or another version is not
// used and is written again; --no-cache writes nothing; `cache clear` empties
// it; an edit is seen. Every test has a cache directory of its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EntryStore, clearCache, sha } from './store';
import { speedTree, SPEED_PACK, CLI } from '../source/speed-tree.fixture';

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function entries(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).filter((f) => f.endsWith('.json')).sort();
}

/** fn with a speed tree of n generated files and an empty cache, both removed after */
function withTree(n: number, fn: (tree: string, cache: string) => void): void {
  const tree = speedTree(n);
  const cache = tmp('callorder-cache-');
  try {
    fn(tree, cache);
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

function check(tree: string, cache: string, ...more: string[]) {
  return spawnSync(process.execPath, [CLI, 'check', tree, '--rules', SPEED_PACK, '--format', 'json', ...more], {
    encoding: 'utf8', env: { ...process.env, CALLORDER_ANALYSIS_CACHE: cache },
  });
}

test('store: an entry reads back; truncated, foreign or other-version entries read as absent', () => {
  const root = tmp('callorder-store-');
  try {
    const s = new EntryStore('facts', root);
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    assert.equal(s.read(a), null);
    assert.ok(s.write(a, '{"x":1}'));
    assert.equal(s.read(a), '{"x":1}');
    assert.deepEqual(fs.readdirSync(path.dirname(s.pathOf(a))), [`${a}.json`], 'no temporary file is left');
    // foreign: a's entry under b's name
    fs.mkdirSync(path.dirname(s.pathOf(b)), { recursive: true });
    fs.copyFileSync(s.pathOf(a), s.pathOf(b));
    assert.equal(s.read(b), null);
    // truncated
    const full = fs.readFileSync(s.pathOf(a), 'utf8');
    fs.writeFileSync(s.pathOf(a), full.slice(0, full.length - 2));
    assert.equal(s.read(a), null);
    fs.writeFileSync(s.pathOf(a), full.slice(0, 10));
    assert.equal(s.read(a), null);
    // same length, other bytes
    fs.writeFileSync(s.pathOf(a), full.replace('"x":1', '"x":2'));
    assert.equal(s.read(a), null);
    // another version of callorder
    fs.writeFileSync(s.pathOf(a), full.replace(/"version":"[^"]*"/, '"version":"0.0.0-other"'));
    assert.equal(s.read(a), null);
    // the kind of entry counts too
    assert.ok(s.write(a, '{"x":1}'));
    assert.equal(new EntryStore('results', root).read(a), null);
    assert.equal(s.read(a), '{"x":1}', 'rewritten, it reads again');
    assert.ok(clearCache(root) >= 2);
    assert.deepEqual(entries(root), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('cache: a warm check prints what the cold one printed; corrupt entries are ignored and rewritten', () => {
  withTree(6, (tree, cache) => {
    const cold = check(tree, cache);
    assert.equal(cold.status, 1, cold.stderr);
    const facts = entries(path.join(cache, 'facts'));
    const files = JSON.parse(cold.stdout).stats.files as number;
    // the file skipped for its NUL byte (drv0/binary.c) has an entry too: its note, so it is not read again
    assert.equal(facts.length, files + 1, 'one facts entry a parsed file, and one for the skipped file');
    assert.equal(entries(path.join(cache, 'results')).length, 1);

    const warm = check(tree, cache);
    assert.equal(warm.status, 1);
    assert.equal(warm.stdout, cold.stdout);
    assert.equal(warm.stderr, cold.stderr);

    // without the results, the facts entries are read: spoil three of them
    fs.rmSync(path.join(cache, 'results'), { recursive: true });
    const store = path.join(cache, 'facts');
    const [t, f, v] = facts.map((e) => path.join(store, e));
    const tText = fs.readFileSync(t, 'utf8');
    fs.writeFileSync(t, tText.slice(0, tText.length >> 1));
    fs.copyFileSync(path.join(store, facts[3]), f);
    fs.writeFileSync(v, fs.readFileSync(v, 'utf8').replace(/"version":"[^"]*"/, '"version":"9.9.9"'));
    const mended = check(tree, cache);
    assert.equal(mended.stdout, cold.stdout);
    assert.equal(mended.stderr, cold.stderr);
    const s = new EntryStore('facts', cache);
    for (const e of [t, f, v]) assert.ok(s.read(path.basename(e, '.json')), `${path.basename(e)} rewritten`);
  });
});

test('cache: an edit is seen, a reverted edit too', () => {
  withTree(2, (tree, cache) => {
    const before = check(tree, cache);
    assert.equal(before.status, 1);
    const file = path.join(tree, 'create.c');
    const text = fs.readFileSync(file, 'utf8');
    // load first: the finding goes
    fs.writeFileSync(file, text.replace('\tint r = dev_setup(d);\n\n\tdev_load(d);\n', '\tint r;\n\n\tdev_load(d);\n\tr = dev_setup(d);\n'));
    const fixed = check(tree, cache);
    assert.equal(fixed.status, 0, fixed.stdout);
    assert.deepEqual(JSON.parse(fixed.stdout).findings, []);
    // a comment at the end: the same findings, one more line of bytes
    fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}/* trailing comment */\n`);
    const commented = JSON.parse(check(tree, cache).stdout);
    assert.deepEqual(commented.findings, []);
    assert.equal(commented.stats.bytes, JSON.parse(fixed.stdout).stats.bytes + '/* trailing comment */\n'.length);
    fs.writeFileSync(file, text);
    const back = check(tree, cache);
    assert.equal(back.stdout, before.stdout);
  });
});

test('cache: --no-cache writes nothing; `cache clear` empties the cache; `cache path` names it', () => {
  withTree(2, (tree, cache) => {
    const env = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache };
    const r = check(tree, cache, '--no-cache');
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(fs.readdirSync(cache), []);
    check(tree, cache);
    const n = entries(cache).length;
    assert.ok(n > 2);
    const p = spawnSync(process.execPath, [CLI, 'cache', 'path'], { encoding: 'utf8', env });
    assert.equal(p.stdout, `${cache}\n`);
    const c = spawnSync(process.execPath, [CLI, 'cache', 'clear'], { encoding: 'utf8', env });
    assert.equal(c.status, 0);
    assert.equal(c.stdout, `removed ${n} cache entries from ${cache}\n`);
    assert.deepEqual(entries(cache), []);
    assert.equal(check(tree, cache).status, 1, 'a cleared cache fills again');
  });
});

// issue 19.1: a result key over a whole kernel's files was sha(..., ...files.flat()), 120,000 arguments
test('sha takes a list as a part, hashed as if spread, and a list of 300,000 parts', () => {
  assert.equal(sha('a', ['b', 'c'], 'd'), sha('a', 'b', 'c', 'd'));
  assert.notEqual(sha('a', ['b', 'c']), sha('a', 'bc'));
  const many = Array.from({ length: 300_000 }, (_, i) => `file${i}.c`);
  assert.match(sha('x', many), /^[0-9a-f]{64}$/);
});
