// The pre-commit hook and --since in a throwaway git repository holding the
// analysed files of Debian's 6.12 tree (arch/x86/kvm, virt/kvm, the KVM
// headers). An existing hook is kept and chained; a commit that drops the
// "vCPU has run" check of kvm_set_cpuid() is refused with the way to bypass
// it; what is staged is checked, not the work tree; a commit that only moves
// an old finding down a line passes; with a resident server the hook reads
// the index git names and answers the same, and `install --server` starts
// one at the first commit; --since
// reports what a commit added and leaves the index and work tree alone;
// uninstall puts the old hook back.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from '../source/fetch-kernel';
import { loadPack, defaultPackPath } from '../pack/load';
import { snapshotDir } from '../source/snapshot';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

describe('pre-commit hook and --since in a kernel checkout', () => {
  let work: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;

  const sh = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const git = (...args: string[]) => sh('git', args);
  const callorder = (...args: string[]) => sh(process.execPath, [CLI, ...args]);
  const edit = (file: string, from: string, to: string) => {
    const p = path.join(repo, file);
    const text = fs.readFileSync(p, 'utf8');
    assert.ok(text.includes(from), `${file} has ${JSON.stringify(from)}`);
    fs.writeFileSync(p, text.replace(from, to));
  };

  before(() => {
    const tree = fetchKernel('6.12');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    repo = path.join(work, 'linux');
    for (const rel of snapshotDir(tree, loadPack(defaultPackPath())).files.keys()) {
      fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      fs.copyFileSync(path.join(tree, rel), path.join(repo, rel));
    }
    env = {
      ...process.env, CALLORDER_CACHE: path.join(work, 'cache'), HOME: work,
      GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org',
    };
    assert.equal(git('init', '-q').code, 0);
    git('add', '-A');
    assert.equal(git('commit', '-qm', 'base').code, 0);
    // a hook the developer already had: it must keep running
    fs.writeFileSync(path.join(repo, '.git/hooks/pre-commit'), '#!/bin/sh\necho ran >> "$(git rev-parse --git-dir)/old-hook.log"\n', { mode: 0o755 });
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('install keeps the existing hook and chains it', () => {
    const r = callorder('hook', 'install');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /kept the existing pre-commit hook/);
    assert.match(fs.readFileSync(path.join(repo, '.git/hooks/pre-commit.callorder-chained'), 'utf8'), /old-hook\.log/);
    assert.equal(callorder('hook', 'install').code, 0, 'installing again replaces only its own hook');
    assert.match(fs.readFileSync(path.join(repo, '.git/hooks/pre-commit.callorder-chained'), 'utf8'), /old-hook\.log/);
  });

  it('refuses a commit that adds a finding, and says how to bypass', () => {
    edit('arch/x86/kvm/cpuid.c', '\tif (kvm_vcpu_has_run(vcpu)) {\n\t\tr = kvm_cpuid_check_equal', '\tif (0) {\n\t\tr = kvm_cpuid_check_equal');
    git('add', 'arch/x86/kvm/cpuid.c');
    const head = git('rev-parse', 'HEAD').stdout;
    const r = git('commit', '-qm', 'drop the KVM_RUN check');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /kvm_set_cpuid\(\): warning: .*\[set-cpuid-after-run\]/);
    assert.match(r.stderr, /git commit --no-verify/);
    assert.equal(git('rev-parse', 'HEAD').stdout, head);
    assert.match(fs.readFileSync(path.join(repo, '.git/old-hook.log'), 'utf8'), /ran/);
    git('checkout', 'HEAD', '--', 'arch/x86/kvm/cpuid.c');
  });

  it('checks what is staged, not the work tree (git.ts reads a blob from a file only when the file hashes to it)', () => {
    const bug = ['\tif (kvm_vcpu_has_run(vcpu)) {\n\t\tr = kvm_cpuid_check_equal', '\tif (0) {\n\t\tr = kvm_cpuid_check_equal'] as const;
    const cpuid = path.join(repo, 'arch/x86/kvm/cpuid.c');
    const clean = fs.readFileSync(cpuid);
    // the bug staged, then undone in the work tree only: the commit would still hold it
    edit('arch/x86/kvm/cpuid.c', ...bug);
    git('add', 'arch/x86/kvm/cpuid.c');
    fs.writeFileSync(cpuid, clean);
    const head = git('rev-parse', 'HEAD').stdout;
    const staged = git('commit', '-qm', 'the bug is staged');
    assert.notEqual(staged.code, 0);
    assert.match(staged.stderr, /kvm_set_cpuid\(\): warning: .*\[set-cpuid-after-run\]/);
    assert.equal(git('rev-parse', 'HEAD').stdout, head);
    git('reset', '-q', '--', 'arch/x86/kvm/cpuid.c');
    // the bug in the work tree only, another file staged: the commit holds no bug
    edit('arch/x86/kvm/cpuid.c', ...bug);
    fs.appendFileSync(path.join(repo, 'arch/x86/kvm/i8254.c'), '\n');
    git('add', 'arch/x86/kvm/i8254.c');
    const unstaged = git('commit', '-qm', 'a blank line');
    assert.equal(unstaged.code, 0, unstaged.stderr);
    fs.writeFileSync(cpuid, clean);
  });

  it('passes a commit that only moves an old finding', () => {
    // vmx_set_cr0()'s kvm_register_mark_dirty(vcpu, VCPU_EXREG_CR3) is an old finding: a line above it moves it down
    edit('arch/x86/kvm/vmx/vmx.c', '\t\tif (!(old_cr0_pg & X86_CR0_PG) && (cr0 & X86_CR0_PG))\n\t\t\tkvm_register_mark_dirty(vcpu, VCPU_EXREG_CR3);',
      '\t\t/* the guest just turned paging on */\n\t\tif (!(old_cr0_pg & X86_CR0_PG) && (cr0 & X86_CR0_PG))\n\t\t\tkvm_register_mark_dirty(vcpu, VCPU_EXREG_CR3);');
    git('add', 'arch/x86/kvm/vmx/vmx.c');
    const r = git('commit', '-qm', 'comment');
    assert.equal(r.code, 0, r.stderr);
  });

  it('with a resident server: the hook reads the index git hands it (`git commit PATH`), refuses and passes as without', () => {
    assert.equal(callorder('server', 'start').code, 0);
    try {
      const served = () => Number(/ (\d+) requests? served/.exec(callorder('server', 'status').stdout)?.[1] ?? -1);
      // `git commit PATH` stages PATH in a temporary index of its own, which GIT_INDEX_FILE names to the hook
      edit('arch/x86/kvm/cpuid.c', '\tif (kvm_vcpu_has_run(vcpu)) {\n\t\tr = kvm_cpuid_check_equal', '\tif (0) {\n\t\tr = kvm_cpuid_check_equal');
      const head = git('rev-parse', 'HEAD').stdout;
      const r = git('commit', '-qm', 'drop the KVM_RUN check', '--', 'arch/x86/kvm/cpuid.c');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /kvm_set_cpuid\(\): warning: .*\[set-cpuid-after-run\]/);
      assert.match(r.stderr, /git commit --no-verify/);
      assert.equal(git('rev-parse', 'HEAD').stdout, head);
      assert.equal(served(), 1);
      git('checkout', 'HEAD', '--', 'arch/x86/kvm/cpuid.c');
      fs.appendFileSync(path.join(repo, 'arch/x86/kvm/i8254.c'), '\n');
      const clean = git('commit', '-qm', 'another blank line', '--', 'arch/x86/kvm/i8254.c');
      assert.equal(clean.code, 0, clean.stderr);
      assert.equal(served(), 2);
    } finally {
      callorder('server', 'stop');
    }
  });

  it('install --server: the first commit starts a server, which answers the next', () => {
    assert.equal(callorder('hook', 'install', '--server').code, 0);
    assert.match(fs.readFileSync(path.join(repo, '.git/hooks/pre-commit'), 'utf8'), / hook run --server\n$/);
    try {
      const status = () => callorder('server', 'status').stdout;
      assert.match(status(), /^no server/);
      fs.appendFileSync(path.join(repo, 'arch/x86/kvm/i8254.c'), '\n');
      git('add', 'arch/x86/kvm/i8254.c');
      assert.equal(git('commit', '-qm', 'first: no server yet').code, 0);
      for (let i = 0; i < 300 && !/^server pid/.test(status()); i++) spawnSync('sleep', ['0.1']);
      assert.match(status(), / 0 requests served/);
      fs.appendFileSync(path.join(repo, 'arch/x86/kvm/i8254.c'), '\n');
      git('add', 'arch/x86/kvm/i8254.c');
      assert.equal(git('commit', '-qm', 'second: the server answers').code, 0);
      assert.match(status(), / 1 request served/);
    } finally {
      callorder('server', 'stop');
      assert.equal(callorder('hook', 'install').code, 0);
    }
  });

  it('--since reports what a commit added, touching neither index nor work tree', () => {
    edit('arch/x86/kvm/cpuid.c', '\tif (kvm_vcpu_has_run(vcpu)) {\n\t\tr = kvm_cpuid_check_equal', '\tif (0) {\n\t\tr = kvm_cpuid_check_equal');
    git('add', 'arch/x86/kvm/cpuid.c');
    assert.equal(git('commit', '-q', '--no-verify', '-m', 'bypassed').code, 0);
    fs.appendFileSync(path.join(repo, 'arch/x86/kvm/hyperv.c'), '\n');
    const index = fs.readFileSync(path.join(repo, '.git/index'));
    const status = git('status', '--porcelain').stdout;
    const moved = callorder('check', '--since', 'HEAD~1', '--format', 'json');
    assert.equal(moved.code, 1, moved.stderr);
    const j = JSON.parse(moved.stdout);
    assert.ok(j.findings.length >= 1);
    assert.ok(j.findings.every((f: { function: string }) => f.function === 'kvm_set_cpuid'));
    assert.equal(j.baseline.unchanged >= 1, true);
    const none = callorder('check', '--since', 'HEAD~2', '--entry', 'mark-reg-without-write');
    assert.equal(none.code, 0, `a moved old finding is not new: ${none.stdout}`);
    assert.deepEqual(fs.readFileSync(path.join(repo, '.git/index')), index);
    assert.equal(git('status', '--porcelain').stdout, status);
    const bad = callorder('check', '--since', 'no-such-ref');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^callorder: no-such-ref: not a commit in /);
  });

  // issue 19.5: the rename passed in silence, and every check after it stopped with exit 2 and no finding at all
  it('a commit that renames an entry passes with a note naming the rule and key; check then runs every other rule', () => {
    const files = ['arch/x86/kvm/cpuid.c', 'arch/x86/kvm/x86.c', 'arch/x86/kvm/cpuid.h'].filter((f) => fs.existsSync(path.join(repo, f)));
    // from the tree as it was (the test above committed a bug past the hook): its findings would move to the other entry
    const base = git('rev-list', '--max-parents=0', 'HEAD').stdout.trim();
    assert.equal(git('checkout', base, '--', ...files).code, 0);
    assert.equal(git('commit', '-q', '--no-verify', '-m', 'back to the base').code, 0);
    for (const f of files) {
      const p = path.join(repo, f);
      fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace(/\bkvm_vcpu_ioctl_set_cpuid\(/g, 'kvm_vcpu_ioctl_set_cpuid_v1('));
    }
    git('add', ...files);
    const r = git('commit', '-qm', 'rename kvm_vcpu_ioctl_set_cpuid');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^callorder: the staged change removes kvm_vcpu_ioctl_set_cpuid: .*kvm-x86\.yaml: rules\[\d+\]\.entries\[\d+\]: kvm_vcpu_ioctl_set_cpuid is not defined in the analysed files; rule [a-z-]+ (runs from its other|is skipped)/m);
    const after = callorder('check', '--format', 'json');
    assert.equal(after.code, 1, after.stderr);
    const j = JSON.parse(after.stdout) as { findings: { rule: string }[]; stats: { notes: string[] } };
    assert.ok(new Set(j.findings.map((f) => f.rule)).size >= 2, 'the other rules still find what they find');
    assert.ok(j.stats.notes.some((n) => /rules\[\d+\]\.entries\[\d+\]: kvm_vcpu_ioctl_set_cpuid is not defined/.test(n)), JSON.stringify(j.stats.notes));
  });

  it('uninstall puts the old hook back', () => {
    const r = callorder('hook', 'uninstall');
    assert.equal(r.code, 0, r.stderr);
    assert.match(fs.readFileSync(path.join(repo, '.git/hooks/pre-commit'), 'utf8'), /old-hook\.log/);
    assert.equal(fs.existsSync(path.join(repo, '.git/hooks/pre-commit.callorder-chained')), false);
    assert.equal(callorder('hook', 'uninstall').code, 2, 'a hook that is not callorder\'s is left alone');
  });
});
