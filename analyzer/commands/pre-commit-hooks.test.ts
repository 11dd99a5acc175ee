// .pre-commit-hooks.yaml, for the pre-commit framework: every hook's entry is
// a command line the CLI accepts (yargs is strict: an unknown option fails),
// and its `files` pattern takes KVM's files and leaves the rest of the kernel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

interface Hook { id: string; entry: string; files: string; language: string; pass_filenames: boolean }

test('.pre-commit-hooks.yaml: each entry is a command line callorder accepts, for KVM\'s files', () => {
  const hooks = parse(fs.readFileSync(path.join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Hook[];
  assert.deepEqual(hooks.map((h) => h.id), ['callorder', 'callorder-server']);
  for (const h of hooks) {
    const [bin, ...args] = h.entry.split(' ');
    assert.equal(bin, 'callorder', h.id);
    assert.equal(h.pass_filenames, false, h.id);
    // outside a git checkout: past the argument parser (strict: an unknown option stops it first), no further
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: os.tmpdir(), env: { ...process.env, CALLORDER_NO_SERVER: '1' } });
    assert.equal(r.stderr, 'callorder: not in a git checkout: run `callorder hook` inside the kernel tree\n', h.id);
    assert.equal(r.status, 2, h.id);
    const files = new RegExp(h.files);
    for (const f of ['arch/x86/kvm/x86.c', 'arch/x86/kvm/vmx/vmx.c', 'virt/kvm/kvm_main.c', 'include/linux/kvm_host.h']) assert.ok(files.test(f), `${h.id}: ${f}`);
    for (const f of ['mm/memory.c', 'arch/arm64/kvm/arm.c', 'Documentation/virt/kvm/api.rst']) assert.ok(!files.test(f), `${h.id}: ${f}`);
  }
});
