// The call graph on Debian's real 6.12 and 6.1 trees with the default pack:
// the paths the rules depend on must exist edge by edge (vendor ops calls
// resolved to the vendor tables each tree really has), and every call through
// KVM x86's ops macros must reach an implementation whenever a table in the
// source sets the member. Each tree is parsed once for this file.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from '../source/fetch-kernel';
import { loadTree } from '../driver/load-tree';
import { loadPack, defaultPackPath } from '../pack/load';
import { makeProgram, callSites, indirectStats, type CallSite } from './callgraph';
import { graphFrom, type Graph } from './graph-view';
import type { Program } from './program';
import type { FunctionFact } from '../parse/ir';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

type Version = '6.12' | '6.1';

interface Expect {
  /** the table VMX's kvm_x86_ops implementations sit in */
  vmx: string;
  svm: string;
  /** `file:line: expr` of ops-macro calls left unresolved (each must have no table setting its member) */
  unresolvedForms: string[];
}

const EXPECT: Record<Version, Expect> = {
  // 6.12 wraps VMX in vmx/main.c's vt_x86_ops (the TDX preparation)
  '6.12': { vmx: 'vt_x86_ops', svm: 'svm_x86_ops', unresolvedForms: [] },
  '6.1': { vmx: 'vmx_x86_ops', svm: 'svm_x86_ops', unresolvedForms: [] },
};

/** Calls through KVM x86's ops: the forms whose resolution this file checks. */
const OPS_FORM = /^(kvm_x86_call\(|static_call\(kvm_x86_|static_call_cond\(|kvm_pmu_call\(|kvm_x86_ops\.)/;

interface Loaded { root: string; p: Program; parseMs: number }

function load(v: Version): Loaded {
  const root = fetchKernel(v);
  const pack = loadPack(defaultPackPath());
  const t0 = performance.now();
  const tree = loadTree(root, pack);
  const parseMs = performance.now() - t0;
  return { root, p: makeProgram(tree, pack), parseMs };
}

function only(p: Program, name: string): FunctionFact {
  const defs = p.functions.get(name) ?? [];
  assert.equal(defs.length, 1, `one definition of ${name}: ${defs.map((d) => `${d.file}:${d.line}`).join(', ')}`);
  return defs[0];
}

/**
 * The edges between each consecutive pair of `chain` in the `--to` graph,
 * as `from -> to kind [via]`, one per distinct (kind, via): a pair with no
 * edge fails, so the whole path must be there.
 */
function pathEdges(g: Graph, chain: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < chain.length; i++) {
    const es = g.edges.filter((e) => e.from === chain[i] && e.to === chain[i + 1]);
    assert.ok(es.length, `no edge ${chain[i]} -> ${chain[i + 1]} in the graph`);
    for (const e of es) {
      const s = `${e.from} -> ${e.to} ${e.kind}${e.via ? ` ${e.via}` : ''}`;
      if (!out.includes(s)) out.push(s);
    }
  }
  return out;
}

function graphTo(p: Program, from: string, to: string): Graph {
  return graphFrom(p, from, { to, depth: 12 });
}

/** The call sites of `fn` whose callee text is `text`. */
function sitesOf(p: Program, fn: string, text: string): CallSite[] {
  const s = callSites(p, only(p, fn)).filter((cs) => cs.info.text === text);
  assert.ok(s.length, `${fn}() has no call ${text}`);
  return s;
}

/**
 * The tables in the raw source of arch/x86/kvm that set `struct.member` to a
 * function: designated initializers of `struct S name = { ... }` (members
 * under #ifdef included) and `name.member = fn;` assignments to such a table.
 * Read from the text, not from the parse, so it can catch the resolver out.
 */
function tablesSettingInSource(root: string, files: string[], struct: string, member: string): string[] {
  const hits: string[] = [];
  const setsMember = new RegExp(`\\.${member}\\s*=\\s*&?(?!NULL\\b)[A-Za-z_]\\w*\\s*[,;}]`);
  const tables: { name: string; file: string }[] = [];
  const texts = files.map((f) => ({ f, text: fs.readFileSync(path.join(root, f), 'latin1') }));
  for (const { f, text } of texts) {
    const re = new RegExp(`struct\\s+${struct}\\s+(\\w+)[^=;{()]*=\\s*\\{`, 'g');
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      let depth = 1;
      let i = m.index + m[0].length;
      const start = i;
      while (i < text.length && depth) {
        const c = text[i++];
        if (c === '{') depth++;
        else if (c === '}') depth--;
      }
      tables.push({ name: m[1], file: f });
      if (setsMember.test(text.slice(start, i))) hits.push(`${f}: ${m[1]}`);
    }
  }
  for (const t of tables) {
    const assign = new RegExp(`\\b${t.name}\\.${member}\\s*=\\s*(?!NULL\\b)[A-Za-z_]\\w*\\s*;`);
    for (const { f, text } of texts) if (assign.test(text)) hits.push(`${f}: ${t.name} (assigned)`);
  }
  return hits;
}

function kvmFiles(root: string): string[] {
  const out: string[] = [];
  (function walk(rel: string) {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (/\.[ch]$/.test(e.name)) out.push(r);
    }
  })('arch/x86/kvm');
  return out.sort();
}

for (const v of ['6.12', '6.1'] as const) {
  describe(`Debian ${v} tree, default pack`, () => {
    const x = EXPECT[v];
    let k: Loaded;
    before(() => {
      k = load(v);
    });

    it('the vendor tables are the ones this tree has', () => {
      const vmx = k.p.tablesByName.get(x.vmx) ?? [];
      const svm = k.p.tablesByName.get(x.svm) ?? [];
      assert.deepEqual(vmx.map((t) => t.type), ['struct kvm_x86_ops']);
      assert.deepEqual(svm.map((t) => t.type), ['struct kvm_x86_ops']);
      assert.equal(vmx[0].file, v === '6.12' ? 'arch/x86/kvm/vmx/main.c' : 'arch/x86/kvm/vmx/vmx.c');
      assert.equal(svm[0].file, 'arch/x86/kvm/svm/svm.c');
      assert.equal(k.p.tablesByName.has(v === '6.12' ? 'vmx_x86_ops' : 'vt_x86_ops'), false);
    });

    it('kvm_arch_vcpu_create reaches both vendors\' vcpu_create through the ops call', () => {
      const form = v === '6.12' ? 'kvm_x86_call(vcpu_create)' : 'static_call(kvm_x86_vcpu_create)';
      const [cs] = sitesOf(k.p, 'kvm_arch_vcpu_create', form);
      assert.equal(cs.info.hook, 'kvm_x86_ops.vcpu_create');
      assert.deepEqual(cs.info.targets.map((t) => `${t.fn.name} ${t.kind} ${t.via} ${t.fn.file}`), [
        `svm_vcpu_create ops ${x.svm}.vcpu_create arch/x86/kvm/svm/svm.c`,
        `vmx_vcpu_create ops ${x.vmx}.vcpu_create arch/x86/kvm/vmx/vmx.c`,
      ]);
      for (const [to, table] of [['vmx_vcpu_create', x.vmx], ['svm_vcpu_create', x.svm]]) {
        const g = graphTo(k.p, 'kvm_arch_vcpu_create', to);
        assert.deepEqual(g.edges.map((e) => `${e.from} -> ${e.to} ${e.kind} ${e.via}`), [
          `kvm_arch_vcpu_create -> ${to} ops ${table}.vcpu_create`,
        ]);
      }
    });

    it('kvm_arch_vcpu_create calls vcpu_load of virt/kvm/kvm_main.c', () => {
      const g = graphTo(k.p, 'kvm_arch_vcpu_create', 'vcpu_load');
      assert.deepEqual(pathEdges(g, ['kvm_arch_vcpu_create', 'vcpu_load']), ['kvm_arch_vcpu_create -> vcpu_load direct']);
      assert.deepEqual(g.nodes.find((n) => n.name === 'vcpu_load')?.file, 'virt/kvm/kvm_main.c');
      assert.equal(only(k.p, 'vcpu_load').file, 'virt/kvm/kvm_main.c');
    });

    it('kvm_vcpu_reset reaches init_vmcs through the VMX reset hook', () => {
      // both trees: vmx_vcpu_reset() runs __vmx_vcpu_reset() on RESET, which runs init_vmcs()
      const g = graphTo(k.p, 'kvm_arch_vcpu_create', 'init_vmcs');
      assert.deepEqual(pathEdges(g, ['kvm_arch_vcpu_create', 'kvm_vcpu_reset', 'vmx_vcpu_reset', '__vmx_vcpu_reset', 'init_vmcs']), [
        'kvm_arch_vcpu_create -> kvm_vcpu_reset direct',
        `kvm_vcpu_reset -> vmx_vcpu_reset ops ${x.vmx}.vcpu_reset`,
        'vmx_vcpu_reset -> __vmx_vcpu_reset direct',
        '__vmx_vcpu_reset -> init_vmcs direct',
      ]);
      assert.deepEqual(graphTo(k.p, 'kvm_vcpu_reset', 'init_vmcs').edges.map((e) => `${e.from} -> ${e.to} ${e.kind} ${e.via}`), [
        '__vmx_vcpu_reset -> init_vmcs direct ',
        `kvm_vcpu_reset -> vmx_vcpu_reset ops ${x.vmx}.vcpu_reset`,
        'vmx_vcpu_reset -> __vmx_vcpu_reset direct ',
      ]);
    });

    it('kvm_init_mmu reaches cpuid_maxphyaddr', () => {
      const g = graphTo(k.p, 'kvm_init_mmu', 'cpuid_maxphyaddr');
      assert.deepEqual(pathEdges(g, ['kvm_init_mmu', 'init_kvm_tdp_mmu', 'kvm_calc_tdp_mmu_root_page_role', 'kvm_mmu_get_tdp_level', 'cpuid_maxphyaddr']), [
        'kvm_init_mmu -> init_kvm_tdp_mmu direct',
        'init_kvm_tdp_mmu -> kvm_calc_tdp_mmu_root_page_role direct',
        'kvm_calc_tdp_mmu_root_page_role -> kvm_mmu_get_tdp_level direct',
        'kvm_mmu_get_tdp_level -> cpuid_maxphyaddr direct',
      ]);
      assert.equal(only(k.p, 'cpuid_maxphyaddr').file, 'arch/x86/kvm/cpuid.h');
      // and from vCPU creation, directly
      assert.deepEqual(pathEdges(graphTo(k.p, 'kvm_arch_vcpu_create', 'cpuid_maxphyaddr'), ['kvm_arch_vcpu_create', 'kvm_init_mmu']), [
        'kvm_arch_vcpu_create -> kvm_init_mmu direct',
      ]);
    });

    it('kvm_read_cr0 reaches vmcs_readl through the cache_reg hook', () => {
      const g = graphTo(k.p, 'kvm_read_cr0', 'vmcs_readl');
      assert.deepEqual(pathEdges(g, ['kvm_read_cr0', 'kvm_read_cr0_bits', 'vmx_cache_reg', 'vmcs_readl']), [
        'kvm_read_cr0 -> kvm_read_cr0_bits direct',
        `kvm_read_cr0_bits -> vmx_cache_reg ops ${x.vmx}.cache_reg`,
        'vmx_cache_reg -> vmcs_readl direct',
      ]);
      const form = v === '6.12' ? 'kvm_x86_call(cache_reg)' : 'static_call(kvm_x86_cache_reg)';
      const [cs] = sitesOf(k.p, 'kvm_read_cr0_bits', form);
      assert.deepEqual(cs.info.targets.map((t) => `${t.fn.name} ${t.via}`), [`svm_cache_reg ${x.svm}.cache_reg`, `vmx_cache_reg ${x.vmx}.cache_reg`]);
      // kvm_vcpu_reset reads CR0 on the way (INIT keeps CR0.CD/NW)
      assert.deepEqual(pathEdges(graphTo(k.p, 'kvm_vcpu_reset', 'vmcs_readl'), ['kvm_vcpu_reset', 'kvm_read_cr0', 'kvm_read_cr0_bits', 'vmx_cache_reg', 'vmcs_readl']), [
        'kvm_vcpu_reset -> kvm_read_cr0 direct',
        'kvm_read_cr0 -> kvm_read_cr0_bits direct',
        `kvm_read_cr0_bits -> vmx_cache_reg ops ${x.vmx}.cache_reg`,
        'vmx_cache_reg -> vmcs_readl direct',
      ]);
    });

    it('KVM_SET_CPUID2 from kvm_vcpu_ioctl reaches kvm_set_cpuid', () => {
      assert.equal(only(k.p, 'kvm_vcpu_ioctl').file, 'virt/kvm/kvm_main.c');
      const g = graphTo(k.p, 'kvm_vcpu_ioctl', 'kvm_set_cpuid');
      assert.deepEqual(pathEdges(g, ['kvm_vcpu_ioctl', 'kvm_arch_vcpu_ioctl', 'kvm_vcpu_ioctl_set_cpuid2', 'kvm_set_cpuid']), [
        'kvm_vcpu_ioctl -> kvm_arch_vcpu_ioctl direct',
        'kvm_arch_vcpu_ioctl -> kvm_vcpu_ioctl_set_cpuid2 direct',
        'kvm_vcpu_ioctl_set_cpuid2 -> kvm_set_cpuid direct',
      ]);
      assert.equal(only(k.p, 'kvm_set_cpuid').file, 'arch/x86/kvm/cpuid.c');
    });

    it('the source-text oracle sees members set under #ifdef and ignores `= NULL`', () => {
      const files = kvmFiles(k.root);
      const vmxFile = v === '6.12' ? 'arch/x86/kvm/vmx/main.c' : 'arch/x86/kvm/vmx/vmx.c';
      // `.set_hv_timer` sits under #ifdef CONFIG_X86_64; 6.1's hardware_setup() also sets it to NULL
      assert.deepEqual(tablesSettingInSource(k.root, files, 'kvm_x86_ops', 'set_hv_timer'), [`${vmxFile}: ${x.vmx}`]);
      assert.deepEqual(tablesSettingInSource(k.root, files, 'kvm_x86_ops', 'no_such_hook'), []);
      const [cs] = sitesOf(k.p, 'start_hv_timer', v === '6.12' ? 'kvm_x86_call(set_hv_timer)' : 'static_call(kvm_x86_set_hv_timer)');
      assert.deepEqual(cs.info.targets.map((t) => `${t.fn.name} ${t.via}`), [`vmx_set_hv_timer ${x.vmx}.set_hv_timer`]);
    });

    it('every ops-macro call in arch/x86/kvm reaches an implementation when a table sets its member', (t) => {
      const files = kvmFiles(k.root);
      let found = 0;
      const byForm: Record<string, number> = {};
      const unresolved: string[] = [];
      const wrongly: string[] = [];
      for (const f of k.p.files) {
        if (!f.file.startsWith('arch/x86/kvm/')) continue;
        for (const fn of f.functions) {
          for (const cs of callSites(k.p, fn)) {
            if (!cs.info.indirect || !OPS_FORM.test(cs.info.text)) continue;
            found++;
            const form = cs.info.text.slice(0, cs.info.text.search(/[(.]/));
            byForm[form] = (byForm[form] ?? 0) + 1;
            if (cs.info.targets.length) continue;
            const where = `${fn.file}:${cs.line}: ${cs.info.text}`;
            unresolved.push(where);
            t.diagnostic(`unresolved ${where} (${cs.info.why})`);
            const [struct, member] = (cs.info.hook ?? '.').split('.');
            const setters = struct && member ? tablesSettingInSource(k.root, files, struct, member) : [];
            if (setters.length) wrongly.push(`${where}: ${cs.info.why}, but set by ${setters.join(', ')}`);
          }
        }
      }
      t.diagnostic(`${found} ops-macro calls in arch/x86/kvm: ${JSON.stringify(byForm)}; ${unresolved.length} unresolved`);
      // the check is not vacuous: this tree's ops calls are there
      assert.ok(found > 200, `only ${found} ops-macro calls found`);
      assert.ok(v === '6.12' ? byForm.kvm_x86_call > 150 && byForm.kvm_pmu_call > 5 : byForm.static_call > 150 && byForm.static_call_cond > 10, JSON.stringify(byForm));
      assert.ok(byForm.kvm_x86_ops >= 1, JSON.stringify(byForm));
      assert.deepEqual(wrongly, []);
      assert.deepEqual(unresolved, x.unresolvedForms);
    });

    it('stats --format json reports the same indirect calls (field "indirect")', (t) => {
      const r = spawnSync(process.execPath, [CLI, 'stats', k.root, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { indirect: ReturnType<typeof indirectStats> };
      const mine = JSON.parse(JSON.stringify(indirectStats(k.p))) as ReturnType<typeof indirectStats>;
      assert.deepEqual(s.indirect, mine);
      const forms = s.indirect.unresolved.filter((u) => u.file.startsWith('arch/x86/kvm/') && OPS_FORM.test(u.expr));
      assert.deepEqual(forms.map((u) => `${u.file}:${u.line}: ${u.expr}`), x.unresolvedForms);
      const reasons: Record<string, number> = {};
      for (const u of s.indirect.unresolved) reasons[u.why] = (reasons[u.why] ?? 0) + 1;
      t.diagnostic(`indirect calls: ${s.indirect.found} found, ${s.indirect.resolved} resolved, ${s.indirect.unresolved.length} unresolved`);
      for (const [why, n] of Object.entries(reasons).sort((a, b) => b[1] - a[1])) t.diagnostic(`  ${n} × ${why}`);
      assert.equal(s.indirect.found, s.indirect.resolved + s.indirect.unresolved.length);
    });

    it('graph --to on the command line gives the in-process graph', () => {
      const r = spawnSync(process.execPath, [CLI, 'graph', k.root, '--from', 'kvm_arch_vcpu_create', '--to', 'init_vmcs', '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(graphTo(k.p, 'kvm_arch_vcpu_create', 'init_vmcs'))));
    });
  });
}
