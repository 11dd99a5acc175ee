// `callorder review` on hostile input, through the built CLI on a small tree
// made here: a path with `..`, an absolute path, a path through a symbolic
// link, a series whose first patch makes a link out of the tree and whose
// second writes through it, a binary patch, a 100 MB patch, a mail with no
// diff, a diff that does not apply, a malformed mbox; file names a shell would
// act on. Each, in every output format, is a clear
// answer on stdout, one line naming the input and position on stderr, exit
// code 2; the tree and everything outside it stay as they were, and no
// temporary directory is left (TMPDIR is a directory of the test's own).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { sarifValidator } from '../report/sarif.testlib';
import { patchMail, seriesMbox } from '../review/mail.fixture';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

const A_C = ['int f(int x)', '{', '\tint y = x;', '\treturn y;', '}', ''].join('\n');

const hunk = (file: string) => [
  `diff --git a/${file} b/${file}`,
  `--- a/${file}`,
  `+++ b/${file}`,
  '@@ -2,3 +2,3 @@ int f(int x)',
  ' {',
  '-\tint y = x;',
  '+\tint y = x + 1;',
  ' \treturn y;',
].join('\n');

/** where the links below point, outside the tree: neither may come to exist */
const LINK_ABS = path.join(os.tmpdir(), `callorder-test-xyz-${process.pid}`);
const link = (at: string, target: string, mode = 'new file mode 120000') => [
  `diff --git a/${at} b/${at}`, mode, 'index 0000000..1111111', '--- /dev/null', `+++ b/${at}`,
  '@@ -0,0 +1 @@', `+${target}`, '\\ No newline at end of file',
].join('\n');
const through = (file: string) => [
  `diff --git a/${file} b/${file}`, 'new file mode 100644', '--- /dev/null', `+++ b/${file}`, '@@ -0,0 +1 @@', '+int evil;',
].join('\n');

const CASES: { name: string; input: string | 'big'; stderr: RegExp }[] = [
  // a link made by one patch and written through by the next: the link is refused where it is made
  { name: 'a series: patch 1 links to an absolute path outside, patch 2 writes through the link',
    input: seriesMbox([link('arch/x86/kvm/lnk', LINK_ABS), through('arch/x86/kvm/lnk/evil.c')]),
    stderr: /^callorder: p\.mbox:9: the patch makes "arch\/x86\/kvm\/lnk" a symbolic link: refused$/ },
  { name: 'a series: patch 1 links to ../../.., patch 2 modifies a file under the link',
    input: seriesMbox([link('up', '../outside'), hunk('up/a.c')]),
    stderr: /^callorder: p\.mbox:9: the patch makes "up" a symbolic link: refused$/ },
  { name: 'one patch: a link to ../../../../xyz and a file through it',
    input: patchMail('link+file', `${link('arch/x86/kvm/lnk', '../../../../xyz')}\n${through('arch/x86/kvm/lnk/evil.c')}`),
    stderr: /^callorder: p\.mbox:9: the patch makes "arch\/x86\/kvm\/lnk" a symbolic link: refused$/ },
  { name: 'a series: patch 2 turns a file of the tree into a link',
    input: seriesMbox([hunk('arch/x86/kvm/a.c'), `diff --git a/arch/x86/kvm/a.c b/arch/x86/kvm/a.c\nold mode 100644\nnew mode 120000\n--- a/arch/x86/kvm/a.c\n+++ b/arch/x86/kvm/a.c`]),
    stderr: /^callorder: p\.mbox:\d+: the patch makes "arch\/x86\/kvm\/a\.c" a symbolic link: refused$/ },
  { name: 'a path with ..', input: patchMail('dotdot', hunk('../../outside/a.c')), stderr: /^callorder: p\.mbox:8: path "\.\.\/\.\.\/outside\/a\.c" leaves the tree \(\.\.\): refused$/ },
  { name: 'an absolute path', input: patchMail('abs', '--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-root\n+toor'), stderr: /^callorder: p\.mbox:8: absolute path "\/etc\/passwd": refused$/ },
  { name: 'a path through a symbolic link', input: patchMail('link', 'diff --git a/arch/x86/kvm/link/evil.c b/arch/x86/kvm/link/evil.c\nnew file mode 100644\n--- /dev/null\n+++ b/arch/x86/kvm/link/evil.c\n@@ -0,0 +1 @@\n+int evil;'), stderr: /^callorder: p\.mbox:8: arch\/x86\/kvm\/link\/evil\.c goes through the symbolic link arch\/x86\/kvm\/link: refused$/ },
  { name: 'a binary patch', input: patchMail('bin', 'diff --git a/arch/x86/kvm/a.o b/arch/x86/kvm/a.o\nindex 1..2 100644\nGIT binary patch\nliteral 2\nJcmZ?d00001'), stderr: /^callorder: p\.mbox:10: binary patch: callorder applies text diffs only$/ },
  { name: 'a 100 MB patch', input: 'big', stderr: /^callorder: p\.mbox: 104857600 bytes is over the patch size limit of \d+ \(--max-patch-size\)$/ },
  { name: 'a mail with no diff', input: patchMail('nodiff', 'Just words, no diff.'), stderr: /^callorder: p\.mbox: no diff in the mail: nothing to review$/ },
  { name: 'a diff that does not apply', input: patchMail('stale', hunk('arch/x86/kvm/a.c').replace('\tint y = x;', '\tint y = 2 * x;')), stderr: /^callorder: p\.mbox:11: hunk #1 of arch\/x86\/kvm\/a\.c does not apply/ },
  { name: 'a malformed mbox', input: 'From x Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nthis is no header\n\nbody\n', stderr: /^callorder: p\.mbox:3: malformed mail header/ },
];

function treeHash(dir: string): string {
  const h = createHash('sha256');
  (function walk(d: string) {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      h.update(path.relative(dir, p));
      if (e.isSymbolicLink()) h.update(`-> ${fs.readlinkSync(p)}`);
      else if (e.isDirectory()) walk(p);
      else h.update(fs.readFileSync(p));
    }
  })(dir);
  return h.digest('hex');
}

describe('review: hostile input', () => {
  let work: string;
  let tree: string;
  let outside: string;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  const validate = sarifValidator();

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    tree = path.join(work, 'linux');
    outside = path.join(work, 'outside');
    tmp = path.join(work, 'tmp');
    for (const d of ['arch/x86/kvm', 'virt/kvm']) fs.mkdirSync(path.join(tree, d), { recursive: true });
    fs.mkdirSync(outside);
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tree, 'Makefile'), 'all:\n');
    fs.writeFileSync(path.join(tree, 'arch/x86/kvm/a.c'), A_C);
    fs.writeFileSync(path.join(outside, 'a.c'), A_C);
    fs.symlinkSync(outside, path.join(tree, 'arch/x86/kvm/link'));
    env = { ...process.env, TMPDIR: tmp, CALLORDER_CACHE: path.join(work, 'cache') };
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  function review(file: string, format: string, extra: string[] = [], input?: string) {
    const r = spawnSync(process.execPath, [CLI, 'review', file, '--tree', tree, '--format', format, ...extra],
      { cwd: work, env, encoding: 'utf8', input, maxBuffer: 1 << 26, timeout: 120000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  for (const c of CASES) {
    it(c.name, () => {
      const file = path.join(work, 'p.mbox');
      if (c.input === 'big') {
        fs.writeFileSync(file, '');
        fs.truncateSync(file, 100 * 1024 * 1024);
      } else fs.writeFileSync(file, c.input);
      const treeBefore = treeHash(tree);
      try {
        for (const format of ['email', 'json', 'sarif', 'text']) {
          const r = review('p.mbox', format);
          assert.equal(r.code, 2, `${format}: exit code\n${r.stderr}`);
          const lines = r.stderr.trimEnd().split('\n');
          assert.equal(lines.length, 1, `${format}: one line on stderr:\n${r.stderr}`);
          assert.match(lines[0], c.stderr);
          const reason = lines[0].replace(/^callorder: /, '');
          if (format === 'json') assert.equal(JSON.parse(r.stdout).error, reason);
          if (format === 'sarif') {
            const log = JSON.parse(r.stdout);
            assert.equal(validate(log), null);
            assert.equal(log.runs[0].invocations[0].executionSuccessful, false);
            assert.equal(log.runs[0].invocations[0].toolExecutionNotifications[0].message.text, reason);
          }
          if (format === 'email') assert.ok(r.stdout.includes(reason), r.stdout);
        }
        assert.equal(treeHash(tree), treeBefore, 'the tree is unchanged');
        assert.deepEqual(fs.readdirSync(outside), ['a.c']);
        assert.equal(fs.readFileSync(path.join(outside, 'a.c'), 'utf8'), A_C);
        assert.deepEqual(fs.readdirSync(tmp), [], 'no temporary directory left');
        assert.equal(fs.existsSync(LINK_ABS), false);
        assert.equal(fs.existsSync(path.join(work, 'xyz')), false, 'nothing where ../../../../xyz points');
      } finally {
        fs.rmSync(file, { force: true });
      }
    });
  }

  it('reads stdin, and a good patch is applied in memory only, nothing run', () => {
    const marker = path.join(work, 'ran');
    const patch = patchMail('good', `${hunk('arch/x86/kvm/a.c')}\ndiff --git a/Makefile b/Makefile\n--- a/Makefile\n+++ b/Makefile\n@@ -1 +1,2 @@\n all:\n+\ttouch ${marker}`);
    const treeBefore = treeHash(tree);
    const r = review('-', 'json', [], patch);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.series.map((s: { subject: string }) => s.subject), ['[PATCH] good']);
    assert.equal(treeHash(tree), treeBefore);
    assert.equal(fs.existsSync(marker), false);
    assert.deepEqual(fs.readdirSync(tmp), []);
    const quiet = review('-', 'email', ['--mailback'], patch);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, '', 'like checkpatch --mailback: nothing to say, nothing printed');
  });

  // names a shell would act on: each is only a name here, read and reported like any other, or refused
  // where git quotes it for a control character; nothing is run, so no marker comes to exist
  it('file names with shell metacharacters are names, never commands', () => {
    const markAbs = path.join(os.tmpdir(), `callorder-test-pwned-${process.pid}`);
    const names = [
      `arch/x86/kvm/$(touch pwned).c`,
      `arch/x86/kvm/$(touch ${markAbs}).c`,
      'arch/x86/kvm/`touch pwned`.c',
      'arch/x86/kvm/x;touch pwned;.c',
      'arch/x86/kvm/x|touch pwned.c',
      'arch/x86/kvm/x && touch pwned &.c',
      "arch/x86/kvm/it's a 'name'.c",
      'arch/x86/kvm/$HOME>pwned<.c',
    ];
    const quoted = 'arch/x86/kvm/say \\"touch pwned\\".c';
    const create = (at: string, q = false) => {
      const [a, b] = q ? [`"a/${at}"`, `"b/${at}"`] : [`a/${at}`, `b/${at}`];
      return [`diff --git ${a} ${b}`, 'new file mode 100644', '--- /dev/null', `+++ ${b}`, '@@ -0,0 +1 @@', '+int g(void) { return 0; }'].join('\n');
    };
    const treeBefore = treeHash(tree);
    const marks = () => [path.join(work, 'pwned'), path.join(tree, 'pwned'), markAbs, path.join(ROOT, 'pwned')].filter((m) => fs.existsSync(m));
    const file = path.join(work, 'p.mbox');
    try {
      fs.writeFileSync(file, seriesMbox([...names.map((n) => create(n)), create(quoted, true)]));
      const r = review('p.mbox', 'json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const out = JSON.parse(r.stdout);
      assert.equal(out.series.length, names.length + 1);
      assert.equal(out.stats.files, 1 + names.length + 1, 'every new file was read as a C file of the tree');
      // a newline in a name: git quotes it as \n, callorder refuses it with the line
      fs.writeFileSync(file, seriesMbox([create('arch/x86/kvm/x\\n$(touch pwned).c', true)]));
      const nl = review('p.mbox', 'text');
      assert.equal(nl.code, 2, nl.stderr);
      assert.match(nl.stderr, /^callorder: p\.mbox:8: path "arch\/x86\/kvm\/x\\n\$\(touch pwned\)\.c" has control characters or backslashes: refused\n$/);
      assert.deepEqual(marks(), [], 'no marker file');
      assert.equal(treeHash(tree), treeBefore);
      assert.deepEqual(fs.readdirSync(tmp), []);
    } finally {
      fs.rmSync(file, { force: true });
      fs.rmSync(markAbs, { force: true });
    }
  });
});
