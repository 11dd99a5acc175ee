// Mail and diff parsing and hunk application on small inputs written here:
// the forms b4 and git format-patch produce, and each way a stranger's input
// can be wrong, which must be an InputError naming the line.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseMbox, decodeWords } from './mbox';
import { parseDiff } from './diff';
import { applyHunks, PatchedTree } from './apply';
import { seriesOf } from './series';
import { InputError } from '../util/errors';

const b = (s: string) => Buffer.from(s, 'latin1');

function mail(n: number, of: number, subject: string, diff: string, extra = ''): string {
  return [
    `From 0123456789abcdef0123456789abcdef0123456${n} Mon Sep 17 00:00:00 2001`,
    `From: Alice <alice@example.org>`,
    `Message-ID: <${n}.x@example.org>`,
    `Subject: [PATCH ${n}/${of}] ${subject}`,
    extra,
    '',
    'Body text.',
    '>From the start of a line, escaped by mboxrd',
    '---',
    diff,
    '-- ',
    '2.39.5',
    '',
  ].filter((l, i) => !(i === 4 && l === '')).join('\n');
}

const DIFF = [
  'diff --git a/arch/x86/kvm/a.c b/arch/x86/kvm/a.c',
  'index 1111111..2222222 100644',
  '--- a/arch/x86/kvm/a.c',
  '+++ b/arch/x86/kvm/a.c',
  '@@ -2,3 +2,3 @@ int f(void)',
  ' one',
  '-two',
  '+TWO',
  ' three',
].join('\n');

function throwsAt(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InputError && re.test(e.message), `expected an InputError matching ${re}`);
}

describe('mbox', () => {
  it('splits an mbox, decodes subjects and unescapes >From', () => {
    const text = `${mail(2, 2, 'second', DIFF)}\n${mail(1, 2, '=?UTF-8?q?caf=C3=A9?= first', DIFF)}`;
    const ms = parseMbox(b(text), 'x.mbox');
    assert.equal(ms.length, 2);
    assert.equal(ms[1].subject, '[PATCH 1/2] café first');
    assert.equal(ms[0].messageId, '<2.x@example.org>');
    assert.match(ms[0].body, /^From the start/m);
    const { patches } = seriesOf(ms, 'x.mbox');
    assert.deepEqual(patches.map((p) => p.index), [1, 2]);
  });

  it('reads one mail without a From_ line, quoted-printable body', () => {
    const text = ['From: a <a@b>', 'Subject: x', 'Content-Transfer-Encoding: quoted-printable', '', 'a=3Db and a soft=', ' break', ''].join('\n');
    const [m] = parseMbox(b(text), 'one.eml');
    assert.equal(m.body, 'a=b and a soft break\n');
  });

  it('decodes RFC 2047 words in base64 too', () => {
    assert.equal(decodeWords('=?utf-8?b?w6k=?= x'), 'é x');
  });

  it('refuses malformed input with the line', () => {
    throwsAt(() => parseMbox(b(''), 'e'), /^e: empty input/);
    throwsAt(() => parseMbox(b('From x\nSubject: a\nnot a header\n\nbody\n'), 'm'), /^m:3: malformed mail header/);
    throwsAt(() => parseMbox(b('From x\nSubject: a\n'), 'm'), /^m:2: the headers never end/);
    throwsAt(() => parseMbox(b('hello world\n'), 'm'), /^m:1: not an mbox/);
    throwsAt(() => parseMbox(b('From x\nSubject: \0\n\n'), 'm'), /^m:2: NUL byte/);
    throwsAt(() => seriesOf(parseMbox(b('From: a <a@b>\nSubject: hi\n\njust words\n'), 'm'), 'm'), /^m: no diff in the mail/);
  });
});

describe('diff', () => {
  it('parses a git diff with names, counts and no-newline markers', () => {
    const fps = parseDiff(`${DIFF}\n\\ No newline at end of file\n`, 'p', 1);
    assert.equal(fps.length, 1);
    assert.equal(fps[0].oldPath, 'arch/x86/kvm/a.c');
    assert.equal(fps[0].hunks[0].lines[3].text, 'three');
  });

  const bad: [string, string, RegExp][] = [
    ['parent directory', DIFF.replace(/a\/arch\/x86\/kvm\/a\.c/g, 'a/../../etc/passwd').replace(/b\/arch\/x86\/kvm\/a\.c/g, 'b/../../etc/passwd'), /leaves the tree \(\.\.\): refused/],
    ['absolute path', '--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b', /absolute path "\/etc\/passwd": refused/],
    ['.git', DIFF.replace(/arch\/x86\/kvm\/a\.c/g, '.git/hooks/pre-commit'), /inside \.git: refused/],
    ['binary', 'diff --git a/x.bin b/x.bin\nindex 1..2 100644\nGIT binary patch\nliteral 3\nabc', /binary patch/],
    ['binary files differ', 'diff --git a/x.bin b/x.bin\nindex 1..2 100644\nBinary files a/x.bin and b/x.bin differ', /binary patch/],
    ['symbolic link', 'diff --git a/l b/l\nnew file mode 120000\nindex 0..1\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc', /symbolic link: refused/],
    ['short hunk', `${DIFF.split('\n').slice(0, -1).join('\n')}`, /ends inside a hunk/],
    ['garbage in hunk', `${DIFF}\n`.replace(' three', '*three'), /not context, - or \+/],
    ['quoted escape', 'diff --git "a/x\\n" "b/x\\n"\n--- "a/x\\n"\n+++ "b/x\\n"\n@@ -1 +1 @@\n-a\n+b', /control characters/],
  ];
  for (const [name, text, re] of bad) it(`refuses: ${name}`, () => throwsAt(() => parseDiff(text, 'p', 1), re));
});

describe('apply', () => {
  it('applies with an offset, exact context only', () => {
    const fp = parseDiff(DIFF, 'p', 1)[0];
    assert.equal(applyHunks('x\ny\nzero\none\ntwo\nthree\n', fp.hunks, 'p', 'a.c'), 'x\ny\nzero\none\nTWO\nthree\n');
    throwsAt(() => applyHunks('zero\none\ntwo!\nthree\n', fp.hunks, 'p', 'a.c'), /^p:5: hunk #1 of a\.c does not apply/);
  });

  it('gives up on a hunk whose search would be quadratic', () => {
    const file = 'a\n'.repeat(20000);
    const d = `--- a/f\n+++ b/f\n@@ -1,3001 +1,3001 @@\n${' a\n'.repeat(3000)}-b\n+c\n`;
    throwsAt(() => applyHunks(file, parseDiff(d, 'p', 1)[0].hunks, 'p', 'f'), /costs too much/);
  });

  // issue 19.1: out.push(...lines) overflowed the stack past ~125,000 lines: `internal error` on a 260 KB patch
  it('applies a new file of 130,000 lines (a 260 KB patch), and edits around it', () => {
    const n = 130_000;
    const d = `--- /dev/null\n+++ b/f\n@@ -0,0 +1,${n} @@\n${'+x\n'.repeat(n)}`;
    assert.equal(d.length > 260_000, true);
    const made = applyHunks('', parseDiff(d, 'p', 1)[0].hunks, 'p', 'f');
    assert.equal(made.length, 2 * n);
    // a one-line change in the middle keeps the 130,000 lines around it
    const edit = `--- a/f\n+++ b/f\n@@ -65000,1 +65000,1 @@\n-x\n+y\n`;
    const edited = applyHunks(made, parseDiff(edit, 'p', 1)[0].hunks, 'p', 'f');
    assert.equal(edited.split('\n')[64999], 'y');
    assert.equal(edited.length, 2 * n);
  });

  it('numbers a series of 130,000 patch mails without a spread into Math.max', () => {
    const n = 130_000;
    const mails = Array.from({ length: n }, (_, i) => ({
      line: 1, headers: [], subject: `[PATCH ${i + 1}/${n}] x`, messageId: '', from: '',
      body: `--- /dev/null\n+++ b/f${i}\n@@ -0,0 +1 @@\n+x\n`, bodyLine: 1,
    }));
    const { patches } = seriesOf(mails, 'p');
    assert.equal(patches.length, n);
    assert.equal(patches[n - 1].total, n);
  });

  it('honours "no newline at end of file" on both sides', () => {
    const d = '--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n';
    assert.equal(applyHunks('a\nb', parseDiff(d, 'p', 1)[0].hunks, 'p', 'f'), 'a\nc\n');
    throwsAt(() => applyHunks('a\nb\n', parseDiff(d, 'p', 1)[0].hunks, 'p', 'f'), /does not apply/);
  });

  it('keeps the real tree untouched and refuses paths through links', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    try {
      fs.mkdirSync(path.join(root, 'arch/x86/kvm'), { recursive: true });
      fs.writeFileSync(path.join(root, 'arch/x86/kvm/a.c'), 'zero\none\ntwo\nthree\n');
      fs.symlinkSync(outside, path.join(root, 'arch/x86/kvm/link'));
      const base = { label: 't', files: new Map([['arch/x86/kvm/a.c', fs.readFileSync(path.join(root, 'arch/x86/kvm/a.c'))]]), notes: [] };
      const t = new PatchedTree(root, base, (r) => r.endsWith('.c'), 1 << 20);
      t.apply(parseDiff(DIFF, 'p', 1), 'p');
      assert.equal(t.snapshot('t').files.get('arch/x86/kvm/a.c')!.toString(), 'zero\none\nTWO\nthree\n');
      assert.equal(fs.readFileSync(path.join(root, 'arch/x86/kvm/a.c'), 'utf8'), 'zero\none\ntwo\nthree\n');
      const viaLink = '--- /dev/null\n+++ b/arch/x86/kvm/link/evil.c\n@@ -0,0 +1 @@\n+x\n';
      throwsAt(() => t.apply(parseDiff(viaLink, 'q', 1), 'q'), /through the symbolic link arch\/x86\/kvm\/link: refused/);
      assert.deepEqual(fs.readdirSync(outside), []);
      // a failing file leaves the whole patch unapplied
      const two = `${DIFF.replace(/a\.c/g, 'b.c')}\n${DIFF}`.replace('diff --git a/arch/x86/kvm/b.c', 'diff --git a/arch/x86/kvm/b.c');
      throwsAt(() => t.apply(parseDiff(two, 'r', 1), 'r'), /b\.c does not exist/);
      assert.equal(t.snapshot('t').files.get('arch/x86/kvm/a.c')!.toString(), 'zero\none\nTWO\nthree\n');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a path through a file, one in the tree or one an earlier patch made', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    try {
      fs.mkdirSync(path.join(root, 'k'));
      fs.writeFileSync(path.join(root, 'k/a.c'), 'a\n');
      const base = { label: 't', files: new Map([['k/a.c', Buffer.from('a\n')]]), notes: [] };
      const t = new PatchedTree(root, base, () => true, 1 << 20);
      // a file standing where a link would: its "target" is only its text
      t.apply(parseDiff('--- /dev/null\n+++ b/k/lnk\n@@ -0,0 +1 @@\n+/tmp\n', 'p', 1), 'p');
      throwsAt(() => t.apply(parseDiff('--- /dev/null\n+++ b/k/lnk/x.c\n@@ -0,0 +1 @@\n+x\n', 'q', 1), 'q'),
        /^q:1: k\/lnk\/x\.c goes through k\/lnk, which is not a directory: refused$/);
      throwsAt(() => t.apply(parseDiff('--- /dev/null\n+++ b/k/a.c/x.c\n@@ -0,0 +1 @@\n+x\n', 'r', 1), 'r'), /through k\/a\.c, which is not a directory/);
      // within one patch too
      throwsAt(() => t.apply(parseDiff('--- /dev/null\n+++ b/k/f\n@@ -0,0 +1 @@\n+x\n--- /dev/null\n+++ b/k/f/g.c\n@@ -0,0 +1 @@\n+x\n', 's', 1), 's'), /through k\/f, which is not a directory/);
      // a directory on disk the base does not select is fine
      fs.mkdirSync(path.join(root, 'k/sub'));
      t.apply(parseDiff('--- /dev/null\n+++ b/k/sub/y.c\n@@ -0,0 +1 @@\n+y\n', 'u', 1), 'u');
      assert.deepEqual([...t.snapshot('t').files.keys()], ['k/a.c', 'k/lnk', 'k/sub/y.c']);
      assert.deepEqual(fs.readdirSync(path.join(root, 'k')).sort(), ['a.c', 'sub']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('creates, deletes and renames', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    try {
      const base = { label: 't', files: new Map([['k/a.c', Buffer.from('a\n')]]), notes: [] };
      const t = new PatchedTree(root, base, () => true, 1 << 20);
      t.apply(parseDiff('diff --git a/k/a.c b/k/b.c\nsimilarity index 100%\nrename from k/a.c\nrename to k/b.c\n', 'p', 1), 'p');
      t.apply(parseDiff('--- /dev/null\n+++ b/k/c.c\n@@ -0,0 +1,2 @@\n+c\n+d\n', 'p', 1), 'p');
      t.apply(parseDiff('diff --git a/k/b.c b/k/b.c\ndeleted file mode 100644\n--- a/k/b.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n', 'p', 1), 'p');
      assert.deepEqual([...t.snapshot('t').files.keys()], ['k/c.c']);
      assert.equal(t.snapshot('t').files.get('k/c.c')!.toString(), 'c\nd\n');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  // issue 19.6: a link's deletion was refused as "makes … a symbolic link"; -D's as "does not remove all of it"
  it('applies the deletions git format-patch writes, -D and of symbolic links, as git made them', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args],
      { cwd: root, encoding: 'latin1', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root } });
    try {
      fs.mkdirSync(path.join(root, 'k'));
      fs.writeFileSync(path.join(root, 'k/a.c'), 'int a;\n');
      fs.writeFileSync(path.join(root, 'k/b.c'), 'int b;\nint bb;\n');
      fs.symlinkSync('a.c', path.join(root, 'k/lnk.c'));
      g('init', '-q', '-b', 'master');
      g('add', '-A');
      g('commit', '-qm', 'base');
      g('rm', '-q', 'k/b.c', 'k/lnk.c');
      g('commit', '-qm', 'delete a file and a link');
      // and a regular file where the link was, in a patch of its own (git splits a type change so)
      fs.writeFileSync(path.join(root, 'k/lnk.c'), 'int l;\n');
      g('add', '-A');
      g('commit', '-qm', 'a file where the link was');
      const base = () => ({ label: 't', files: new Map([['k/a.c', Buffer.from('int a;\n')], ['k/b.c', Buffer.from('int b;\nint bb;\n')]]), notes: [] });
      // the tree as it was before the series, the link on disk
      g('checkout', '-q', 'HEAD~2');
      for (const flags of [[], ['-D']]) {
        const mbox = g('format-patch', '--stdout', ...flags, 'HEAD..master');
        const mails = parseMbox(Buffer.from(mbox, 'latin1'), 'p');
        const { patches } = seriesOf(mails, 'p');
        assert.equal(patches.length, 2);
        const t = new PatchedTree(root, base(), () => true, 1 << 20);
        for (const p of patches) t.apply(p.files, 'p');
        assert.deepEqual([...t.snapshot('t').files.keys()], ['k/a.c', 'k/lnk.c'], flags.join(' '));
        assert.equal(t.snapshot('t').files.get('k/lnk.c')!.toString(), 'int l;\n');
        assert.equal(fs.readlinkSync(path.join(root, 'k/lnk.c')), 'a.c', 'the tree is only read');
      }
      // -D: the index line's blob must be the tree's file; a link deleted as one must be one
      const t = new PatchedTree(root, base(), () => true, 1 << 20);
      throwsAt(() => t.apply(parseDiff('diff --git a/k/b.c b/k/b.c\ndeleted file mode 100644\nindex 0123456..0000000\n', 'p', 1), 'p'),
        /^p:1: deleting k\/b\.c as blob 0123456, but the tree's is [0-9a-f]{7}$/);
      throwsAt(() => t.apply(parseDiff('diff --git a/k/b.c b/k/b.c\ndeleted file mode 100644\n', 'p', 1), 'p'),
        /without its text and without an index line/);
      throwsAt(() => t.apply(parseDiff('diff --git a/k/a.c b/k/a.c\ndeleted file mode 120000\n--- a/k/a.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-int a;\n', 'p', 1), 'p'),
        /deletes k\/a\.c as a symbolic link, and it is not one in the tree: refused/);
      // a link's deletion whose text is not the link's target does not apply
      throwsAt(() => t.apply(parseDiff('diff --git a/k/lnk.c b/k/lnk.c\ndeleted file mode 120000\n--- a/k/lnk.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-b.c\n\\ No newline at end of file\n', 'p', 1), 'p'),
        /hunk #1 of k\/lnk\.c does not apply/);
      // a path through the link, and a link made, stay refused
      throwsAt(() => t.apply(parseDiff('--- /dev/null\n+++ b/k/lnk.c/x.c\n@@ -0,0 +1 @@\n+x\n', 'p', 1), 'p'), /goes through the symbolic link k\/lnk\.c/);
      throwsAt(() => t.apply(parseDiff('diff --git a/k/lnk.c b/k/lnk.c\nold mode 120000\nnew mode 120755\n', 'p', 1), 'p'), /changes the mode of "k\/lnk\.c", a symbolic link: refused/);
      throwsAt(() => t.apply(parseDiff('diff --git a/k/l2 b/k/l2\nnew file mode 120000\n--- /dev/null\n+++ b/k/l2\n@@ -0,0 +1 @@\n+/etc\n', 'p', 1), 'p'), /makes "k\/l2" a symbolic link: refused/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
