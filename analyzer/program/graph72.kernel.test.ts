// The call graph on Debian unstable's 7.2 tree, the current kernel, with the
// default pack. 7.x builds VMX's table in vmx/main.c with token-pasting
// members (`.vcpu_create = vt_op(vcpu_create)`: `vt_vcpu_create` with TDX,
// `vmx_vcpu_create` without), patches it at run time from tdx.c with
// tdx.c's statics, and loads VMCS01 through a scope-based guard
// (`guard(vmx_vmcs01)(vcpu)`). Each expectation below is read against the
// source text where it can be, so the resolver cannot grade itself.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fetchKernel } from '../source/fetch-kernel';
import { loadTree } from '../driver/load-tree';
import { loadPack, defaultPackPath } from '../pack/load';
import { makeProgram, callSites } from './callgraph';
import { graphFrom, type Graph } from './graph-view';
import type { Program } from './program';

/** Calls through KVM x86's ops: the forms whose resolution this file checks. */
const OPS_FORM = /^(kvm_x86_call\(|static_call\(kvm_x86_|static_call_cond\(|kvm_pmu_call\(|kvm_x86_ops\.)/;

function edgeTexts(g: Graph, from: string, to: string): string[] {
  return g.edges.filter((e) => e.from === from && e.to === to).map((e) => `${e.from} -> ${e.to} ${e.kind} ${e.via ?? ''}${e.cond ? ` if ${e.cond}` : ''}`.trim());
}

/** What `struct kvm_x86_ops NAME = { ... }` in `file` sets each member to, as written. */
function initializer(root: string, file: string, table: string): Map<string, string> {
  const text = fs.readFileSync(path.join(root, file), 'latin1');
  const at = text.search(new RegExp(`struct\\s+kvm_x86_ops\\s+${table}\\b[^=;]*=\\s*\\{`));
  assert.ok(at >= 0, `no ${table} in ${file}`);
  const end = text.indexOf('\n};', at);
  const out = new Map<string, string>();
  const re = /^\s*\.(\w+)\s*=\s*([^,\n]+),/gm;
  const body = text.slice(at, end);
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) out.set(m[1], m[2].trim());
  return out;
}

describe('Debian 7.2 tree, default pack', () => {
  let root: string;
  let p: Program;
  before(() => {
    root = fetchKernel('7.2');
    const pack = loadPack(defaultPackPath());
    p = makeProgram(loadTree(root, pack), pack);
  });
  const graph = (from: string, to: string) => graphFrom(p, from, { to, depth: 12 });

  it('kvm_arch_vcpu_create reaches vmx_vcpu_create (both #if sides of vt_op), init_vmcs and svm_vcpu_create', () => {
    const g = graph('kvm_arch_vcpu_create', 'vmx_vcpu_create');
    assert.deepEqual(edgeTexts(g, 'kvm_arch_vcpu_create', 'vmx_vcpu_create'), [
      'kvm_arch_vcpu_create -> vmx_vcpu_create ops vt_x86_ops.vcpu_create if !CONFIG_KVM_INTEL_TDX',
    ]);
    assert.deepEqual(edgeTexts(g, 'kvm_arch_vcpu_create', 'vt_vcpu_create'), [
      'kvm_arch_vcpu_create -> vt_vcpu_create ops vt_x86_ops.vcpu_create if CONFIG_KVM_INTEL_TDX',
    ]);
    assert.deepEqual(edgeTexts(g, 'vt_vcpu_create', 'vmx_vcpu_create'), ['vt_vcpu_create -> vmx_vcpu_create direct']);
    assert.deepEqual(edgeTexts(graph('kvm_arch_vcpu_create', 'tdx_vcpu_create'), 'vt_vcpu_create', 'tdx_vcpu_create'), ['vt_vcpu_create -> tdx_vcpu_create direct']);
    assert.deepEqual(edgeTexts(graph('kvm_arch_vcpu_create', 'svm_vcpu_create'), 'kvm_arch_vcpu_create', 'svm_vcpu_create'), [
      'kvm_arch_vcpu_create -> svm_vcpu_create ops svm_x86_ops.vcpu_create',
    ]);
    const init = graph('kvm_arch_vcpu_create', 'init_vmcs');
    assert.ok(init.edges.some((e) => e.to === 'init_vmcs'), 'kvm_arch_vcpu_create reaches init_vmcs');
    assert.deepEqual(edgeTexts(init, '__vmx_vcpu_reset', 'init_vmcs'), ['__vmx_vcpu_reset -> init_vmcs direct']);
  });

  it('kvm_vcpu_reset reaches vmx_set_cr0; KVM_SET_GUEST_DEBUG reaches vmx_update_exception_bitmap', () => {
    assert.deepEqual(edgeTexts(graph('kvm_vcpu_reset', 'vmx_set_cr0'), 'kvm_vcpu_reset', 'vmx_set_cr0'), [
      'kvm_vcpu_reset -> vmx_set_cr0 ops vt_x86_ops.set_cr0 if !CONFIG_KVM_INTEL_TDX',
    ]);
    const g = graph('kvm_arch_vcpu_ioctl_set_guest_debug', 'vmx_update_exception_bitmap');
    assert.deepEqual(edgeTexts(g, 'kvm_arch_vcpu_ioctl_set_guest_debug', 'vmx_update_exception_bitmap'), [
      'kvm_arch_vcpu_ioctl_set_guest_debug -> vmx_update_exception_bitmap ops vt_x86_ops.update_exception_bitmap if !CONFIG_KVM_INTEL_TDX',
    ]);
  });

  it('guard(vmx_vmcs01) is a cleanup edge to its constructor and its destructor, which load and put VMCS01', () => {
    const sites = callSites(p, p.functions.get('vmx_refresh_apicv_exec_ctrl')![0]).filter((cs) => cs.info.targets.some((t) => t.kind === 'cleanup'));
    assert.ok(sites.length >= 2);
    const kinds = new Set(sites.flatMap((cs) => cs.info.targets.map((t) => `${t.fn.name} ${t.kind} ${t.via}`)));
    assert.deepEqual([...kinds].sort(), [
      'class_vmx_vmcs01_constructor cleanup guard(vmx_vmcs01)',
      'class_vmx_vmcs01_destructor cleanup guard(vmx_vmcs01)',
    ]);
    const ctor = p.functions.get('class_vmx_vmcs01_constructor')!;
    assert.equal(ctor.length, 1);
    assert.equal(ctor[0].file, 'arch/x86/kvm/vmx/vmx.c');
    assert.equal(ctor[0].expandedFrom, 'DEFINE_GUARD(vmx_vmcs01)');
    assert.deepEqual(callSites(p, ctor[0]).map((cs) => cs.info.text), ['vmx_load_vmcs01']);
    assert.deepEqual(callSites(p, p.functions.get('class_vmx_vmcs01_destructor')![0]).map((cs) => cs.info.text), ['vmx_put_vmcs01']);
    const g = graphFrom(p, 'vmx_refresh_apicv_exec_ctrl', { depth: 1 });
    assert.deepEqual(g.edges.filter((e) => e.kind === 'cleanup').map((e) => `${e.to} ${e.via}`), [
      'class_vmx_vmcs01_constructor guard(vmx_vmcs01)',
      'class_vmx_vmcs01_destructor guard(vmx_vmcs01)',
    ]);
  });

  it('every ops call is resolved and reaches the VMX (and TDX) and SVM implementations the tables name', (t) => {
    const vt = initializer(root, 'arch/x86/kvm/vmx/main.c', 'vt_x86_ops');
    const svm = initializer(root, 'arch/x86/kvm/svm/svm.c', 'svm_x86_ops');
    assert.ok(vt.size > 100 && svm.size > 100, `${vt.size} and ${svm.size} members read`);
    let found = 0;
    const unresolved: string[] = [];
    const missing: string[] = [];
    let tdxChecked = 0;
    for (const f of p.files) {
      if (!f.file.startsWith('arch/x86/kvm/') && !f.file.startsWith('virt/kvm/')) continue;
      for (const fn of f.functions) {
        for (const cs of callSites(p, fn)) {
          if (!cs.info.indirect || !OPS_FORM.test(cs.info.text)) continue;
          found++;
          const where = `${fn.file}:${cs.line}: ${cs.info.text}`;
          if (!cs.info.targets.length) { unresolved.push(`${where} (${cs.info.why})`); continue; }
          if (!cs.info.hook?.startsWith('kvm_x86_ops.')) continue;
          const member = cs.info.hook.slice('kvm_x86_ops.'.length);
          const names = new Set(cs.info.targets.map((x) => x.fn.name));
          const want: string[] = [];
          const v = vt.get(member);
          const pasted = v ? /^vt_op(_tdx_only)?\((\w+)\)$/.exec(v) : null;
          if (pasted) {
            want.push(`vt_${pasted[2]}`);
            if (!pasted[1] && p.functions.has(`vmx_${pasted[2]}`)) want.push(`vmx_${pasted[2]}`);
            // where TDX implements the hook, the vt_ wrapper reaches it
            const tdx = `tdx_${pasted[2]}`;
            if (p.functions.has(tdx) && p.functions.has(`vt_${pasted[2]}`)) {
              tdxChecked++;
              if (!graphFrom(p, `vt_${pasted[2]}`, { to: tdx, depth: 3 }).edges.some((e) => e.to === tdx)) missing.push(`${where}: vt_${pasted[2]} does not reach ${tdx}`);
            }
          } else if (v && v !== 'NULL' && p.functions.has(v)) want.push(v);
          const s = svm.get(member);
          if (s && s !== 'NULL' && p.functions.has(s)) want.push(s);
          for (const w of want) if (!names.has(w)) missing.push(`${where}: no ${w} among ${[...names].join(', ')}`);
        }
      }
    }
    t.diagnostic(`${found} ops calls, ${unresolved.length} unresolved, ${tdxChecked} reach a TDX implementation through vt_`);
    assert.ok(found > 200, `only ${found} ops calls found`);
    assert.ok(tdxChecked > 20, `only ${tdxChecked} TDX implementations checked`);
    assert.deepEqual(unresolved, []);
    assert.deepEqual(missing, []);
  });
});
