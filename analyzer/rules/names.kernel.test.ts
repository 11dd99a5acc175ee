// Every name of the default pack is in each Debian tree it is written for
// (`rules list --tree T` prints nothing on stderr), and a name the tree lacks
// is caught on a real tree: 7.2 moved the PDPTRs from kvm_mmu to
// kvm_vcpu_arch along with their enumerator's new name, VCPU_REG_PDPTR, and the
// pack once mapped that register to kvm_mmu.pdptrs, checking nothing through it.
// Skipped for a tree that is not here (CALLORDER_KERNEL_*, or the fetch cache).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from '../source/fetch-kernel';
import { defaultPackPath } from '../pack/load';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');

function treeOf(v: string): string | null {
  try {
    return fetchKernel(v);
  } catch {
    return null;
  }
}

function listOn(root: string, pack: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'rules', 'list', '--tree', root, '--rules', pack], {
    encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1' },
  });
  return { status: r.status, stderr: r.stderr };
}

for (const v of ['7.2', '6.12', '6.1']) {
  test(`${v}: every name the default pack uses is in the tree`, (t) => {
    const root = treeOf(v);
    if (!root) {
      t.skip(`no ${v} tree (\`callorder fetch-kernel ${v}\`)`);
      return;
    }
    assert.deepEqual(listOn(root, defaultPackPath()), { status: 0, stderr: '' });
  });
}

test('7.2: a register mapped to the field 6.12 had is a note naming the rule and the key', (t) => {
  const root = treeOf('7.2');
  if (!root) {
    t.skip('no 7.2 tree (`callorder fetch-kernel 7.2`)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-names-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const text = fs.readFileSync(defaultPackPath(), 'utf8');
  const old = text.replace('VCPU_REG_PDPTR: kvm_vcpu_arch.pdptrs', 'VCPU_REG_PDPTR: kvm_mmu.pdptrs');
  assert.notEqual(old, text);
  const pack = path.join(dir, 'kvm-x86.yaml');
  fs.writeFileSync(pack, old);
  assert.deepEqual(listOn(root, pack), {
    status: 0,
    stderr: `${pack}: rules[6].registers.VCPU_REG_PDPTR: kvm_mmu.pdptrs is not in the analysed files; rule mark-reg-without-write checks nothing through it\n`,
  });
  // on 6.12 the same pack is right: VCPU_REG_PDPTR is not there, and VCPU_EXREG_PDPTR maps to kvm_mmu.pdptrs
  const r612 = treeOf('6.12');
  if (r612) assert.deepEqual(listOn(r612, pack), { status: 0, stderr: '' });
});
