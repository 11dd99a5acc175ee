// Reusing a nearby tree's result on Debian's 6.12 tree: an edit that moves
// every line of vmx.c (where three findings are), or appends a function
// nothing calls, takes the shortcut and gives exactly what a full run without
// the cache gives, lines moved; an edit inside a function the engine walks
// into (kvm_set_cpuid) runs again the entries that reach it, and only them
// (of the vcpu-ioctl role's units, the two handlers of KVM_SET_CPUID{,2}),
// with the first run's summaries of the helpers it left alone;
// an edit that makes a function an entry of a scanning rule runs that entry.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fetchKernel } from '../source/fetch-kernel';
import { loadPack, defaultPackPath, type Pack } from '../pack/load';
import { snapshotDir, type SourceTree } from '../source/snapshot';
import { edited, ownCache } from '../flow/near-tree.fixture';
import { AnalysisHost, type Analysis } from './analyze';

// one session for the file, as a process has: its runs carry summaries from one to the next
const host = new AnalysisHost();
const analyze = host.analyze.bind(host);
import { runRules } from '../flow/run';
import { makeProgram } from '../program/callgraph';
import { loadTreeAsync, scanTree } from './load-tree';

// the vcpu-ioctl role's handlers on 6.12 (rules list --tree), each a unit of vmcs-access-in-ioctl run from kvm_vcpu_ioctl
const HANDLERS_6_12 = [
  'kvm_arch_vcpu_ioctl_get_fpu', 'kvm_arch_vcpu_ioctl_get_mpstate', 'kvm_arch_vcpu_ioctl_get_regs', 'kvm_arch_vcpu_ioctl_get_sregs',
  'kvm_arch_vcpu_ioctl_run', 'kvm_arch_vcpu_ioctl_set_fpu', 'kvm_arch_vcpu_ioctl_set_guest_debug', 'kvm_arch_vcpu_ioctl_set_mpstate',
  'kvm_arch_vcpu_ioctl_set_regs', 'kvm_arch_vcpu_ioctl_set_sregs', 'kvm_arch_vcpu_ioctl_translate', 'kvm_inject_smi',
  'kvm_ioctl_get_supported_hv_cpuid', 'kvm_lapic_set_vapic_addr', 'kvm_set_guest_paused', 'kvm_set_tsc_khz', 'kvm_vcpu_ioctl_device_attr',
  'kvm_vcpu_ioctl_enable_cap', 'kvm_vcpu_ioctl_get_cpuid2', 'kvm_vcpu_ioctl_get_lapic', 'kvm_vcpu_ioctl_get_stats_fd',
  'kvm_vcpu_ioctl_interrupt', 'kvm_vcpu_ioctl_nmi', 'kvm_vcpu_ioctl_set_cpuid', 'kvm_vcpu_ioctl_set_cpuid2', 'kvm_vcpu_ioctl_set_lapic',
  'kvm_vcpu_ioctl_set_sigmask', 'kvm_vcpu_ioctl_x86_get_debugregs', 'kvm_vcpu_ioctl_x86_get_sregs2', 'kvm_vcpu_ioctl_x86_get_vcpu_events',
  'kvm_vcpu_ioctl_x86_get_xcrs', 'kvm_vcpu_ioctl_x86_get_xsave', 'kvm_vcpu_ioctl_x86_get_xsave2', 'kvm_vcpu_ioctl_x86_set_debugregs',
  'kvm_vcpu_ioctl_x86_set_mce', 'kvm_vcpu_ioctl_x86_set_sregs2', 'kvm_vcpu_ioctl_x86_set_vcpu_events', 'kvm_vcpu_ioctl_x86_set_xcrs',
  'kvm_vcpu_ioctl_x86_set_xsave', 'kvm_vcpu_ioctl_x86_setup_mce', 'kvm_vcpu_pre_fault_memory', 'kvm_xen_vcpu_get_attr',
  'kvm_xen_vcpu_set_attr', 'msr_io', 'vcpu_ioctl_tpr_access_reporting',
];
const NAMED = ['kvm_arch_vcpu_create', 'kvm_arch_vcpu_postcreate', 'kvm_vcpu_ioctl_set_cpuid', 'kvm_vcpu_ioctl_set_cpuid2', 'kvm_vcpu_reset',
  'kvm_xen_hvm_set_attr', 'kvm_xen_write_hypercall_page', 'svm_set_cr4', 'vmx_set_cr4'];
// in the order runRules runs them
const UNITS = [...NAMED, ...HANDLERS_6_12.map((h) => `${h} (via kvm_vcpu_ioctl)`)].sort();

describe('a nearby tree\'s result, reused', () => {
  let pack: Pack;
  let base: SourceTree;
  let first: Analysis;
  let restore: () => void;
  before(async () => {
    const tree = fetchKernel('6.12');
    restore = ownCache();
    pack = loadPack(defaultPackPath());
    base = snapshotDir(tree, pack);
    first = await analyze(base, pack);
    assert.equal(first.how, 'run');
  });
  after(() => restore());

  it('lines moved by an edit above: the same findings a full run gives', async () => {
    const t = edited(base, 'arch/x86/kvm/vmx/vmx.c', (s) => s.replace('#include <linux/highmem.h>', '/*\n * three new lines\n */\n#include <linux/highmem.h>'));
    const near = await analyze(t, pack, { near: first });
    assert.equal(near.how, 'near');
    const full = await analyze(t, pack, { cache: false });
    assert.deepEqual(near.findings, full.findings);
    assert.deepEqual(near.stats, full.stats);
    const vmx = (a: Analysis) => a.findings.filter((f) => f.file === 'arch/x86/kvm/vmx/vmx.c').map((f) => f.line);
    assert.deepEqual(vmx(near), vmx(first).map((l) => l + 3));
  });

  it('a function appended that nothing calls: the shortcut, the same findings a full run gives', async () => {
    const t = edited(base, 'arch/x86/kvm/x86.c', (s) => `${s}\nint callorder_unused(void)\n{\n\treturn 0;\n}\n`);
    const near = await analyze(t, pack, { near: first });
    assert.equal(near.how, 'near');
    const full = await analyze(t, pack, { cache: false });
    assert.deepEqual(near.findings, full.findings);
    assert.deepEqual(near.stats, full.stats);
  });

  it('an edit in a function the engine walks into: the entries that reach it run again, the rest are reused', async () => {
    const t = edited(base, 'arch/x86/kvm/cpuid.c', (s) => s.replace('\tif (kvm_vcpu_has_run(vcpu)) {\n\t\tr = kvm_cpuid_check_equal', '\tif (0) {\n\t\tr = kvm_cpuid_check_equal'));
    const after = await analyze(t, pack, { near: first });
    assert.equal(after.how, 'run');
    // the two KVM_SET_CPUID entries reach kvm_set_cpuid, and the vcpu-ioctl units of their handlers; no other unit does
    const cpuid = ['kvm_vcpu_ioctl_set_cpuid', 'kvm_vcpu_ioctl_set_cpuid2'];
    assert.deepEqual(after.reused, UNITS.filter((u) => !cpuid.some((h) => u === h || u === `${h} (via kvm_vcpu_ioctl)`)));
    assert.ok(after.findings.some((f) => f.function === 'kvm_set_cpuid'));
    // the first run's blind summaries of helpers the edit left alone hold here, and are taken
    assert.ok((after.carried ?? 0) > 0, `carried ${after.carried}`);
    const full = await analyze(t, pack, { cache: false });
    assert.equal(full.carried, 0);
    assert.deepEqual(after.findings, full.findings);
    assert.deepEqual(after.stats, full.stats);
  });

  it('an edit that makes a function no entry walks an entry of its own (a must-follow trigger): that entry runs, nothing is taken as it was', async () => {
    const t = edited(base, 'arch/x86/kvm/x86.c', (s) => s.replace('\tint r;\n\n\tvcpu_load(vcpu);\n\tif (kvm_mpx_supported())',
      '\tint r;\n\n\tvcpu->arch.cr4 = 0;\n\tvcpu_load(vcpu);\n\tif (kvm_mpx_supported())'));
    const after = await analyze(t, pack, { near: first });
    // every old entry could be moved as it was, but the entries a rule finds by scanning changed
    assert.equal(after.how, 'run');
    assert.ok(after.findings.some((f) => f.rule === 'cpuid-runtime-after-cr4' && f.function === 'kvm_arch_vcpu_ioctl_get_mpstate'));
    const full = await analyze(t, pack, { cache: false });
    assert.deepEqual(after.findings, full.findings);
    assert.deepEqual(after.stats, full.stats);
  });

  it('each entry run alone finds and walks what it does among all the others (summaries shared between entries, or carried from another run, change nothing)', async () => {
    const root = fetchKernel('6.12');
    const tree = await loadTreeAsync(root, pack, { cacheRoot: null }, scanTree(root, pack, {}));
    const all = runRules(makeProgram(tree, pack), pack);
    assert.deepEqual(all.units.map((u) => u.entry), UNITS);
    for (const u of all.units) {
      // a new program, so nothing computed for the others is at hand
      const alone = runRules(makeProgram(tree, pack), pack, undefined, (e) => (e === u.entry ? undefined : all.units.find((x) => x.entry === e)));
      assert.deepEqual(alone.units.find((x) => x.entry === u.entry), u, u.entry);
    }
    // a store of shared summaries that keeps starting again empty changes nothing either
    assert.deepEqual(runRules(makeProgram(tree, pack), pack, undefined, undefined, { sharedSummaries: 50 }).units, all.units);
    // nor does a store carried from a run over another program of the same facts, every summary of which holds
    const carried = runRules(makeProgram(tree, pack), pack, undefined, undefined, { carry: all.summaries });
    assert.ok(carried.summaries.carried > 100, `carried ${carried.summaries.carried}`);
    assert.deepEqual(carried.units, all.units);
  });
});
