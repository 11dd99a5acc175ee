// The hook's two trees out of a throwaway repository (git.ts stagedAndHead):
// what is staged, not what is in the work tree; HEAD as committed; a
// repository's first commit, with no HEAD, against an empty tree; a symbolic
// link noted and not followed; git's own error outside a repository.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { stagedAndHead } from './git';
import { selector } from '../source/snapshot';
import { loadPack, defaultPackPath } from '../pack/load';
import { DEFAULT_LIMITS } from '../parse/parse-file';
import type { SourceTree } from '../source/snapshot';
import { InputError } from '../util/errors';

function repo(): { dir: string; git: (...a: string[]) => void; write: (rel: string, text: string) => void; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-git-'));
  const env = { ...process.env, HOME: dir, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org' };
  const git = (...a: string[]) => {
    const r = spawnSync('git', a, { cwd: dir, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `git ${a.join(' ')}: ${r.stderr}`);
  };
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  git('init', '-q');
  return { dir, git, write, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const select = selector(loadPack(defaultPackPath()));

function contents(t: SourceTree): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, f] of t.files) out[rel] = Buffer.isBuffer(f) ? f.toString('utf8') : `note: ${f.note}`;
  return out;
}

test('git: staged and HEAD trees of the first commit, and of a change staged over it', async () => {
  const r = repo();
  try {
    r.write('arch/x86/kvm/a.c', 'int a(void) { return 1; }\n');
    r.write('arch/x86/kvm/b.c', 'int b(void) { return 2; }\n');
    r.write('Documentation/x.c', 'not analysed\n');
    fs.symlinkSync('a.c', path.join(r.dir, 'arch/x86/kvm/link.c'));
    r.git('add', '-A');
    // no commit yet: HEAD is empty, not an error
    const first = await stagedAndHead(r.dir, select, DEFAULT_LIMITS);
    assert.deepEqual(contents(first.staged), { 'arch/x86/kvm/a.c': 'int a(void) { return 1; }\n', 'arch/x86/kvm/b.c': 'int b(void) { return 2; }\n' });
    assert.deepEqual(first.staged.notes, ['arch/x86/kvm/link.c: symbolic link, not followed']);
    assert.deepEqual(contents(first.head), {});
    r.git('commit', '-qm', 'base');
    // staged: a.c changed and b.c removed; then the work tree moves on, unstaged
    r.write('arch/x86/kvm/a.c', 'int a(void) { return 3; }\n');
    r.git('add', 'arch/x86/kvm/a.c');
    r.git('rm', '-q', 'arch/x86/kvm/b.c');
    r.write('arch/x86/kvm/a.c', 'int a(void) { return 4; }\n');
    r.write('arch/x86/kvm/c.c', 'untracked\n');
    const { staged, head } = await stagedAndHead(r.dir, select, DEFAULT_LIMITS);
    assert.deepEqual(contents(staged), { 'arch/x86/kvm/a.c': 'int a(void) { return 3; }\n' });
    assert.deepEqual(contents(head), { 'arch/x86/kvm/a.c': 'int a(void) { return 1; }\n', 'arch/x86/kvm/b.c': 'int b(void) { return 2; }\n' });
    assert.deepEqual(head.notes, ['arch/x86/kvm/link.c: symbolic link, not followed']);
  } finally {
    r.done();
  }
});

test('git: a directory that is no repository gives git\'s own error, in one line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-git-'));
  try {
    await assert.rejects(stagedAndHead(dir, select, DEFAULT_LIMITS), (e: Error) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /^git ls-files: not a git repository/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
