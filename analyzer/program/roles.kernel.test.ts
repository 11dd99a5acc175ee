// The default pack's vcpu-ioctl role on Debian's 7.2 tree: `rules list --tree`
// with a rule entered by the role lists exactly the handlers the cases of
// kvm_vcpu_ioctl() and kvm_arch_vcpu_ioctl() call first. Skipped when the
// tree is not here (CALLORDER_KERNEL_7_2 or the fetch cache).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from '../source/fetch-kernel';
import { defaultPackPath } from '../pack/load';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');

// read off the 7.2.13 source: the first call of each case of the two switches, those under an #ifdef
// (KVM_PRE_FAULT_MEMORY, KVM_XEN_VCPU_*) included (KVM_RUN's
// kvm_arch_vcpu_run_pid_change, lapic_in_kernel and kvm_vcpu_srcu_read_lock are the role's except)
const HANDLERS_7_2 = [
  'kvm_arch_vcpu_ioctl_get_fpu', 'kvm_arch_vcpu_ioctl_get_mpstate', 'kvm_arch_vcpu_ioctl_get_regs', 'kvm_arch_vcpu_ioctl_get_sregs',
  'kvm_arch_vcpu_ioctl_run', 'kvm_arch_vcpu_ioctl_set_fpu', 'kvm_arch_vcpu_ioctl_set_guest_debug', 'kvm_arch_vcpu_ioctl_set_mpstate',
  'kvm_arch_vcpu_ioctl_set_regs', 'kvm_arch_vcpu_ioctl_set_sregs', 'kvm_arch_vcpu_ioctl_translate', 'kvm_get_reg_list',
  'kvm_get_set_one_reg', 'kvm_inject_smi', 'kvm_ioctl_get_supported_hv_cpuid', 'kvm_lapic_set_vapic_addr', 'kvm_set_guest_paused',
  'kvm_set_tsc_khz', 'kvm_vcpu_ioctl_device_attr', 'kvm_vcpu_ioctl_enable_cap', 'kvm_vcpu_ioctl_get_cpuid2', 'kvm_vcpu_ioctl_get_lapic',
  'kvm_vcpu_ioctl_get_stats_fd', 'kvm_vcpu_ioctl_interrupt', 'kvm_vcpu_ioctl_nmi', 'kvm_vcpu_ioctl_set_cpuid', 'kvm_vcpu_ioctl_set_cpuid2',
  'kvm_vcpu_ioctl_set_lapic', 'kvm_vcpu_ioctl_set_sigmask', 'kvm_vcpu_ioctl_x86_get_debugregs', 'kvm_vcpu_ioctl_x86_get_sregs2',
  'kvm_vcpu_ioctl_x86_get_vcpu_events', 'kvm_vcpu_ioctl_x86_get_xcrs', 'kvm_vcpu_ioctl_x86_get_xsave', 'kvm_vcpu_ioctl_x86_get_xsave2',
  'kvm_vcpu_ioctl_x86_set_debugregs', 'kvm_vcpu_ioctl_x86_set_mce', 'kvm_vcpu_ioctl_x86_set_sregs2', 'kvm_vcpu_ioctl_x86_set_vcpu_events',
  'kvm_vcpu_ioctl_x86_set_xcrs', 'kvm_vcpu_ioctl_x86_set_xsave', 'kvm_vcpu_ioctl_x86_setup_mce', 'kvm_vcpu_pre_fault_memory',
  'kvm_xen_vcpu_get_attr', 'kvm_xen_vcpu_set_attr', 'msr_io', 'vcpu_ioctl_tpr_access_reporting',
];

function tree72(): string | null {
  try {
    return fetchKernel('7.2');
  } catch {
    return null;
  }
}

test('7.2: the vcpu-ioctl role lists every handler of the two vCPU ioctl switches', (t) => {
  const root = tree72();
  if (!root) {
    t.skip('no 7.2 tree (CALLORDER_KERNEL_7_2, or `callorder fetch-kernel 7.2`)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-role-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pack = path.join(dir, 'role.yaml');
  // the default pack and one rule more, entered by the role
  fs.writeFileSync(pack, [
    `extends: [ ${JSON.stringify(defaultPackPath())} ]`,
    'rules:',
    '  - id: by-role',
    '    kind: requires-before',
    '    message: "{op}() outside {region} from {entry}"',
    '    confidence: high',
    '    operations: [ "@vmcs-accessors" ]',
    '    acquire: [ "@vcpu-load" ]',
    '    entries: [ {role: vcpu-ioctl} ]',
    '',
  ].join('\n'));
  const r = spawnSync(process.execPath, [CLI, 'rules', 'list', '--rules', pack, '--tree', root, '--format', 'json'],
    { encoding: 'utf8', timeout: 600000, env: { ...process.env, CALLORDER_NO_SERVER: '1' } });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { id: string; entries: string[]; missing: string[] }[];
  const mine = rows.find((x) => x.id === 'by-role');
  assert.deepEqual(mine, { id: 'by-role', entries: HANDLERS_7_2, missing: [] });
  // the pack's vmcs-access-in-ioctl enters by the role too; the other rules keep their written entries
  assert.deepEqual(rows.find((x) => x.id === 'vmcs-access-in-ioctl')?.entries, HANDLERS_7_2);
  assert.deepEqual(rows.find((x) => x.id === 'vmcs-access-before-load')?.entries, ['kvm_arch_vcpu_create', 'kvm_arch_vcpu_postcreate']);
});
