// Bad input to the built CLI (`node bin/callorder stats TREE`, in a child
// process, on trees made here in a temporary directory): a missing or
// unreadable TREE, or a working directory removed under the shell, ends the
// run with exit code 2 and one line naming it; a bad
// file in a good tree (invalid UTF-8, NUL bytes, over --max-file-size, 10,000
// and 100,000 nested parentheses, symbolic link loops) gets one line on stderr
// naming the file, the other files are still read, the exit code is 0, and no
// stack trace is ever printed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');
const KVM = path.join('arch', 'x86', 'kvm');

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], opts: SpawnSyncOptions = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120000, maxBuffer: 1 << 26, ...opts });
  if (r.error) throw r.error;
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function noStackTrace(r: Run): void {
  assert.deepEqual(r.stderr.split('\n').filter((l) => /^\s{4}at /.test(l)), [], `a stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/);
}

function tmpdir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-bad-'));
  t.after(() => {
    // undo the chmods first so the removal can get in
    for (const p of [dir, path.join(dir, 'tree')]) {
      try { fs.chmodSync(p, 0o755); } catch { /* not there */ }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('a missing TREE: exit 2 and one line naming it', (t) => {
  const missing = path.join(tmpdir(t), 'no-such-tree');
  const r = run(['stats', missing]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.ok(r.stderr.includes(missing), r.stderr);
  noStackTrace(r);
});

test('a TREE that is a file: exit 2 and one line naming it', (t) => {
  const file = path.join(tmpdir(t), 'file.c');
  fs.writeFileSync(file, 'int x;\n');
  const r = run(['stats', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a directory/);
  assert.ok(r.stderr.includes(file));
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  noStackTrace(r);
});

test('an unreadable TREE: exit 2 and one line naming it', (t) => {
  const dir = tmpdir(t);
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(path.join(tree, KVM), { recursive: true });
  fs.writeFileSync(path.join(tree, KVM, 'x86.c'), 'int f(void) { return 0; }\n');
  fs.chmodSync(tree, 0o000);
  const opts: SpawnSyncOptions = {};
  if (process.getuid?.() === 0) {
    // root reads a mode-000 directory anyway: the CLI runs as nobody instead,
    // which needs to get through the temporary directory to reach the tree
    fs.chmodSync(dir, 0o755);
    const probe = spawnSync(process.execPath, ['-e', '0'], { uid: 65534, gid: 65534 });
    const cliReadable = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(path.join(ROOT, 'dist', 'analyzer', 'cli.js'))})`], { uid: 65534, gid: 65534 });
    if (probe.error || probe.status !== 0 || cliReadable.status !== 0) {
      t.skip('running as root and cannot run the CLI as another user here, so no directory is unreadable to it');
      return;
    }
    Object.assign(opts, { uid: 65534, gid: 65534 });
  }
  const r = run(['stats', tree], opts);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cannot read directory \(EACCES\)/);
  assert.ok(r.stderr.includes(tree));
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  noStackTrace(r);
});

test('bad files in a good tree: one line each naming the file, the rest is read, exit 0', (t) => {
  const tree = path.join(tmpdir(t), 'tree');
  const kvm = path.join(tree, KVM);
  fs.mkdirSync(kvm, { recursive: true });
  const w = (name: string, data: string | Buffer) => fs.writeFileSync(path.join(kvm, name), data);
  w('good.c', 'static int good(void)\n{\n\treturn 1;\n}\n');
  // invalid UTF-8 on line 2: read as bytes, still parsed
  w('latin1.c', Buffer.concat([Buffer.from('/* ok */\nint caf'), Buffer.from([0xe9]), Buffer.from('(void) { return 2; }\nint after_bad_byte(void) { return 3; }\n')]));
  w('nul.c', Buffer.concat([Buffer.from('int with_nul(void) { return 0; }\n'), Buffer.from([0, 0, 0])]));
  // 10 MB: over the default --max-file-size of 8 MiB
  w('big.c', `int big(void) { return 0; }\n${`/* ${'x'.repeat(1020)} */\n`.repeat(10 * 1024)}`);
  w('nest10k.c', `int nest10k(void)\n{\n\treturn ${'('.repeat(10000)}1${')'.repeat(10000)};\n}\n`);
  w('nest100k.c', `int nest100k(void)\n{\n\treturn ${'('.repeat(100000)}1${')'.repeat(100000)};\n}\n`);
  w('braces100k.c', `void braces100k(void)\n${'{'.repeat(100000)}x();${'}'.repeat(100000)}\n`);
  w('structs10k.c', `struct s ${'{ struct '.repeat(10000)}{ int x; }${' y; }'.repeat(10000)};\nint after_structs(void) { return 0; }\n`);
  fs.symlinkSync('self.c', path.join(kvm, 'self.c')); // a link to itself
  fs.symlinkSync('.', path.join(kvm, 'loop')); // a directory that contains itself

  const r = run(['stats', tree]);
  noStackTrace(r);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  const about = (file: string) => lines.filter((l) => l.startsWith(`${KVM}/${file}`));
  const one = (file: string, re: RegExp) => {
    const ls = about(file);
    assert.equal(ls.length, 1, `one line about ${file} in:\n${r.stderr}`);
    assert.match(ls[0], re);
  };
  one('latin1.c', /^arch\/x86\/kvm\/latin1\.c:2:8: invalid UTF-8, read as bytes$/);
  one('nul.c', /^arch\/x86\/kvm\/nul\.c:2:1: NUL byte, not C source, skipped$/);
  one('big.c', /^arch\/x86\/kvm\/big\.c: \d+ bytes is over --max-file-size 8388608, skipped$/);
  one('nest10k.c', /nesting deeper than 400 levels, inner part not analysed$/);
  one('nest100k.c', /nesting deeper than 400 levels, inner part not analysed$/);
  one('braces100k.c', /nesting deeper than 400 levels, inner part not analysed$/);
  one('self.c', /^arch\/x86\/kvm\/self\.c: symbolic link loop, not followed$/);
  one('loop', /^arch\/x86\/kvm\/loop: symbolic link to a directory, not followed$/);
  assert.deepEqual(about('good.c'), []);
  assert.deepEqual(about('structs10k.c'), [], 'deep struct nesting is read, not skipped');
  assert.match(r.stdout, /^files: 6 /m, r.stdout);

  const j = run(['stats', tree, '--format', 'json']);
  noStackTrace(j);
  assert.equal(j.code, 0, j.stderr);
  const s = JSON.parse(j.stdout) as { functions: { name: string; file: string; hasError: boolean }[]; notes: string[] };
  assert.deepEqual(s.functions.map((f) => f.name).sort(),
    ['after_bad_byte', 'after_structs', 'braces100k', 'caf\u00e9', 'good', 'nest100k', 'nest10k']);
  assert.deepEqual(s.functions.filter((f) => f.hasError).map((f) => f.name), []);
  assert.equal(s.notes.length, lines.length);
});

test('a working directory removed under the shell: exit 2 and one line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-gone-'));
  try {
    const r = spawnSync('sh', ['-c', `cd '${dir}/' && mkdir gone && cd gone && rmdir ../gone && exec '${process.execPath}' '${CLI}' check`], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'callorder: the current directory cannot be read (ENOENT); cd to one that exists\n');
    noStackTrace({ code: r.status, stdout: r.stdout, stderr: r.stderr });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
