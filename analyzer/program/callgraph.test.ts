// The program model on hand-written fixture trees (fixtures/program/<case>/,
// each with its own pack so nothing here depends on KVM's names): every form
// of call the resolver knows, with the exact edges, field names and
// unresolved calls it must give, and the `graph` command's output formats.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadTree, type TreeFacts } from '../driver/load-tree';
import { loadPack, type Pack } from '../pack/load';
import type { FunctionFact } from '../parse/ir';
import { makeProgram, callSites, indirectStats, qualifiedField, scopeOf, exprText } from './callgraph';
import { graphFrom, renderGraph, type Graph, type GraphEdge } from './graph-view';
import { walkStmt } from './walk';
import { resolveFunction, defCond, type Program } from './program';
import { withBodyReads } from './body-reads.fixture';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures', 'program');
const CLI = path.join(ROOT, 'bin', 'callorder');

interface Fixture { dir: string; packFile: string; pack: Pack; tree: TreeFacts; p: Program }

const loaded = new Map<string, Fixture>();
function fixture(name: string): Fixture {
  let f = loaded.get(name);
  if (!f) {
    const dir = path.join(FIXTURES, name);
    const packFile = path.join(dir, 'pack.json');
    const pack = loadPack(packFile);
    const tree = loadTree(dir, pack);
    f = { dir, packFile, pack, tree, p: makeProgram(tree, pack) };
    loaded.set(name, f);
  }
  return f;
}

function fn(p: Program, name: string, file?: string): FunctionFact {
  const defs = (p.functions.get(name) ?? []).filter((d) => !file || d.file === file);
  assert.equal(defs.length, 1, `one definition of ${name}${file ? ` in ${file}` : ''}`);
  return defs[0];
}

/** `from -> to kind via file:line if cond`, one string per edge, in the graph's order. */
function edges(g: Graph): string[] {
  return g.edges.map(edgeText);
}
function edgeText(e: GraphEdge): string {
  return `${e.from} -> ${e.to} ${e.kind}${e.via ? ` ${e.via}` : ''} ${e.file}:${e.line}${e.cond ? ` if ${e.cond}` : ''}`;
}

/** Every call site of a function with the definitions it reaches (file included). */
function sites(p: Program, f: FunctionFact): string[] {
  return callSites(p, f).map((cs) => {
    const ts = cs.info.targets.map((t) => `${t.fn.name}@${t.fn.file}:${t.fn.line} ${t.kind}${t.via ? ` ${t.via}` : ''}${t.cond ? ` if ${t.cond}` : ''}`);
    const how = cs.info.indirect ? (cs.info.why ? `indirect, unresolved: ${cs.info.why}` : 'indirect') : 'named';
    return `${cs.line} ${cs.info.text} (${how})${cs.cond ? ` [under ${cs.cond}]` : ''}: ${ts.join(', ')}`;
  });
}

function unresolvedOf(p: Program): string[] {
  return indirectStats(p).unresolved.map((u) => `${u.file}:${u.line} ${u.expr} in ${u.function}: ${u.why}`);
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('every fixture tree parses cleanly with its own pack', () => {
  for (const name of ['ops', 'macro', 'statics', 'ifdef', 'fields', 'runtime', 'pasted', 'cleanup']) {
    const { tree, pack } = fixture(name);
    assert.equal(pack.name, `fixture-program-${name}`);
    assert.deepEqual(tree.notes, [], name);
    assert.ok(tree.files.length > 0, name);
    for (const f of tree.files) for (const d of f.functions) assert.equal(d.hasError, false, `${name}: ${d.file}:${d.line} ${d.name}`);
  }
});

// ---- (a) ops tables ----------------------------------------------------------

test('ops: every indirect form reaches each table that sets the member, labelled with the table', () => {
  const { p } = fixture('ops');
  const g = graphFrom(p, 'demo_vcpu_create', { depth: 12 });
  assert.deepEqual(edges(g), [
    // ops->vcpu_create(): a `const struct demo_ops *` local
    'demo_vcpu_create -> svm_vcpu_create ops svm_demo_ops.vcpu_create core.c:19',
    'demo_vcpu_create -> vmx_vcpu_create ops vmx_demo_ops.vcpu_create core.c:19',
    // vcpu->ops->flush(): both tables name a static `demo_flush` of their own file
    'demo_vcpu_create -> demo_flush ops svm_demo_ops.flush core.c:22',
    'demo_vcpu_create -> demo_flush ops vmx_demo_ops.flush core.c:22',
    // demo_x86_ops.vcpu_reset(): a global filled at run time is no table, so every table
    'demo_vcpu_create -> svm_vcpu_reset ops svm_demo_ops.vcpu_reset core.c:23',
    'demo_vcpu_create -> vmx_vcpu_reset ops vmx_demo_ops.vcpu_reset core.c:23',
    // vmx_demo_ops.load_pdptrs(): a call through one named table reaches only it
    'demo_vcpu_create -> vmx_load_pdptrs ops vmx_demo_ops.load_pdptrs core.c:24',
    // static_call(demo_x86_vcpu_reset)()
    'demo_vcpu_create -> svm_vcpu_reset ops svm_demo_ops.vcpu_reset core.c:25',
    'demo_vcpu_create -> vmx_vcpu_reset ops vmx_demo_ops.vcpu_reset core.c:25',
    // static_call_cond(demo_x86_load_pdptrs)(): only VMX sets it
    'demo_vcpu_create -> vmx_load_pdptrs ops vmx_demo_ops.load_pdptrs core.c:26',
    // demo_call(vcpu_create)(), like kvm_x86_call()
    'demo_vcpu_create -> svm_vcpu_create ops svm_demo_ops.vcpu_create core.c:27',
    'demo_vcpu_create -> vmx_vcpu_create ops vmx_demo_ops.vcpu_create core.c:27',
    // demo_pmu_call(refresh)(), like kvm_pmu_call(): another struct
    'demo_vcpu_create -> svm_pmu_refresh ops svm_pmu_ops.refresh core.c:28',
    'demo_vcpu_create -> vmx_pmu_refresh ops vmx_pmu_ops.refresh core.c:28',
    // static_call(demo_x86_pmu_reset)(): the longer prefix picks struct demo_pmu_ops
    'demo_vcpu_create -> svm_pmu_reset ops svm_pmu_ops.reset core.c:29',
    // demo_lookup(id)->ops->flush(): the base's type is the callee's return type
    'demo_vcpu_create -> demo_flush ops svm_demo_ops.flush core.c:30',
    'demo_vcpu_create -> demo_flush ops vmx_demo_ops.flush core.c:30',
    'demo_vcpu_create -> demo_lookup direct core.c:30',
    // demo_x86_ops.nested->enter(), like kvm_x86_ops.nested_ops->x()
    'demo_vcpu_create -> svm_nested_enter ops svm_nested_ops.enter core.c:31',
    'demo_vcpu_create -> vmx_nested_enter ops vmx_nested_ops.enter core.c:31',
  ]);
  assert.deepEqual(g.unresolved, []);
  assert.deepEqual(g.nodes.map((n) => `${n.name} ${n.file}:${n.line}`), [
    'demo_flush svm.c:14',
    'demo_flush vmx.c:15',
    'demo_lookup core.c:9',
    'demo_vcpu_create core.c:14',
    'svm_nested_enter svm.c:19',
    'svm_pmu_refresh svm.c:35',
    'svm_pmu_reset svm.c:39',
    'svm_vcpu_create svm.c:4',
    'svm_vcpu_reset svm.c:9',
    'vmx_load_pdptrs vmx.c:19',
    'vmx_nested_enter vmx.c:23',
    'vmx_pmu_refresh vmx.c:45',
    'vmx_vcpu_create vmx.c:4',
    'vmx_vcpu_reset vmx.c:9',
  ]);
});

test('ops: each table reaches the static of its own file, and the hooks are indexed by struct.member', () => {
  const { p } = fixture('ops');
  const flush = callSites(p, fn(p, 'demo_vcpu_create')).find((cs) => cs.line === 22)!;
  assert.equal(flush.info.hook, 'demo_ops.flush');
  assert.deepEqual(flush.info.targets.map((t) => `${t.via} -> ${t.fn.file}:${t.fn.line}`), [
    'svm_demo_ops.flush -> svm.c:14',
    'vmx_demo_ops.flush -> vmx.c:15',
  ]);
  const hooks = [...p.hookImpls.entries()].map(([h, l]) => `${h}: ${l.map((i) => `${i.table.name}=${i.fn}`).join(' ')}`).sort();
  assert.deepEqual(hooks, [
    'demo_nested_ops.enter: svm_nested_ops=svm_nested_enter vmx_nested_ops=vmx_nested_enter',
    'demo_nested_ops.leave: vmx_nested_ops=vmx_nested_leave',
    'demo_ops.flush: svm_demo_ops=demo_flush vmx_demo_ops=demo_flush',
    'demo_ops.load_pdptrs: vmx_demo_ops=vmx_load_pdptrs',
    'demo_ops.vcpu_create: svm_demo_ops=svm_vcpu_create vmx_demo_ops=vmx_vcpu_create',
    'demo_ops.vcpu_reset: svm_demo_ops=svm_vcpu_reset vmx_demo_ops=vmx_vcpu_reset',
    'demo_pmu_ops.refresh: svm_pmu_ops=svm_pmu_refresh vmx_pmu_ops=vmx_pmu_refresh',
    'demo_pmu_ops.reset: svm_pmu_ops=svm_pmu_reset',
  ]);
});

test('ops: calls that cannot be resolved stay unresolved, each with its reason', () => {
  const { p } = fixture('ops');
  assert.deepEqual(graphFrom(p, 'demo_unresolved', { depth: 12 }).unresolved, [
    { file: 'core.c', line: 38, expr: 'fp' },
    { file: 'core.c', line: 39, expr: 'vcpu->ops->unset_hook' },
    { file: 'core.c', line: 40, expr: 'vcpu->ops->no_such_member' },
    { file: 'core.c', line: 41, expr: 'n->notify' },
    { file: 'core.c', line: 42, expr: 'mystery_lookup(i)->flush' },
    { file: 'core.c', line: 43, expr: 'static_call(other_thing)' },
    { file: 'core.c', line: 44, expr: 'demo_call(vcpu->id)' },
    { file: 'core.c', line: 45, expr: 'demo_handlers[i]' },
  ]);
  assert.deepEqual(edges(graphFrom(p, 'demo_unresolved', { depth: 12 })), []);
  assert.deepEqual(unresolvedOf(p), [
    // a plain function-pointer variable is never guessed at, even when it was
    // loaded from a hook
    'core.c:38 fp in demo_unresolved: call through a function pointer variable',
    'core.c:39 vcpu->ops->unset_hook in demo_unresolved: no table in the tree sets demo_ops.unset_hook',
    'core.c:40 vcpu->ops->no_such_member in demo_unresolved: struct demo_ops has no member no_such_member',
    'core.c:41 n->notify in demo_unresolved: no table of struct demo_notifier in the tree',
    'core.c:42 mystery_lookup(i)->flush in demo_unresolved: type of the base expression is unknown',
    'core.c:43 static_call(other_thing) in demo_unresolved: no ops table is configured for other_thing',
    'core.c:44 demo_call(vcpu->id) in demo_unresolved: ops macro without a plain member name',
    'core.c:45 demo_handlers[i] in demo_unresolved: call through a computed function pointer',
  ]);
  const st = indirectStats(p);
  assert.equal(st.found, 19);
  assert.equal(st.resolved, 11);
  assert.deepEqual(st.byForm, {
    field: { found: 10, resolved: 6 },
    static_call: { found: 3, resolved: 2 },
    static_call_cond: { found: 1, resolved: 1 },
    demo_call: { found: 2, resolved: 1 },
    demo_pmu_call: { found: 1, resolved: 1 },
    id: { found: 1, resolved: 0 },
    index: { found: 1, resolved: 0 },
  });
});

// ---- (b) function-like macros ------------------------------------------------

test('macro: a call through a function-like macro reaches the functions its body calls', () => {
  const { p } = fixture('macro');
  assert.deepEqual(edges(graphFrom(p, 'demo_reset', { depth: 12 })), [
    'demo_reset -> demo_flush_tlb macro demo_flush_all demo.c:11',
    // the header inline sits under the include guard, which is no condition
    'demo_reset -> demo_sync_regs macro demo_flush_all demo.c:11',
    // through a macro that calls a macro: labelled with the one called
    'demo_reset -> demo_flush_tlb macro DEMO_RESET demo.c:12',
    'demo_reset -> demo_sync_regs macro DEMO_RESET demo.c:12',
  ]);
  assert.deepEqual(sites(p, fn(p, 'demo_reset')), [
    '11 demo_flush_all (named): demo_flush_tlb@demo.c:4 macro demo_flush_all, demo_sync_regs@demo.h:13 macro demo_flush_all',
    '12 DEMO_RESET (named): demo_flush_tlb@demo.c:4 macro DEMO_RESET, demo_sync_regs@demo.h:13 macro DEMO_RESET',
    // `demo_##x##_handler` is made by token pasting: no name to follow
    '13 DEMO_PASTE (named): ',
  ]);
  assert.deepEqual(p.macros.get('demo_flush_all')?.calls, ['demo_flush_tlb', 'demo_sync_regs']);
});

test('macro: a macro or a scalar that shares a name with a variable is no call through a pointer', () => {
  const { p } = fixture('macro');
  assert.deepEqual(sites(p, fn(p, 'demo_clamp')), [
    '22 demo_min (named): ',
    '22 max (named): ',
  ]);
  assert.deepEqual(unresolvedOf(p), []);
  assert.deepEqual(indirectStats(p).found, 0);
});

// ---- (c) statics of one name -------------------------------------------------

test('statics: each caller reaches its own file\'s static, a global, or nothing', () => {
  const { p } = fixture('statics');
  assert.deepEqual(sites(p, fn(p, 'a_entry')), [
    '21 helper (named): helper@a.c:4 direct',
    // a.c's static `shared` hides b.c's global
    '21 shared (named): shared@a.c:9 direct',
    '21 only_a (named): only_a@a.c:14 direct',
    '21 common_inline (named): common_inline@common.h:5 direct',
  ]);
  assert.deepEqual(sites(p, fn(p, 'b_entry')), [
    '16 helper (named): helper@b.c:4 direct',
    '16 shared (named): shared@b.c:9 direct',
  ]);
  assert.deepEqual(sites(p, fn(p, 'c_entry')), [
    // a static in another file is out of reach, whether it has one definition or several
    '6 helper (named): ',
    '6 shared (named): shared@b.c:9 direct',
    '6 only_a (named): ',
  ]);
  assert.deepEqual(edges(graphFrom(p, 'c_entry', { depth: 12 })), ['c_entry -> shared direct c.c:6']);
  assert.deepEqual(graphFrom(p, 'c_entry', { depth: 12 }).nodes, [
    { name: 'c_entry', file: 'c.c', line: 4 },
    { name: 'shared', file: 'b.c', line: 9 },
  ]);
  assert.deepEqual(edges(graphFrom(p, 'a_entry', { depth: 12 })), [
    'a_entry -> common_inline direct a.c:21',
    'a_entry -> helper direct a.c:21',
    'a_entry -> only_a direct a.c:21',
    'a_entry -> shared direct a.c:21',
  ]);
  assert.deepEqual(graphFrom(p, 'a_entry', { depth: 12 }).nodes.map((n) => `${n.name} ${n.file}:${n.line}`), [
    'a_entry a.c:19', 'common_inline common.h:5', 'helper a.c:4', 'only_a a.c:14', 'shared a.c:9',
  ]);
  assert.deepEqual(resolveFunction(p, 'helper', 'c.c'), []);
  assert.deepEqual(resolveFunction(p, 'helper', 'b.c').map((d) => d.file), ['b.c']);
  assert.deepEqual(resolveFunction(p, 'only_a', 'b.c'), []);
  assert.deepEqual(unresolvedOf(p), []);
});

// ---- (d) #ifdef variants -----------------------------------------------------

test('ifdef: both definitions of a split function are kept and the edges carry the condition', () => {
  const { p } = fixture('ifdef');
  assert.deepEqual(p.functions.get('demo_feature')?.map((d) => `${d.file}:${d.line} ${d.cond}`), [
    'feature.c:18 CONFIG_DEMO_X',
    'feature.c:23 !CONFIG_DEMO_X',
  ]);
  const g = graphFrom(p, 'demo_entry', { depth: 12 });
  assert.deepEqual(edges(g), [
    'demo_entry -> demo_feature direct feature.c:50 if CONFIG_DEMO_X',
    'demo_entry -> demo_feature direct feature.c:50 if !CONFIG_DEMO_X',
    // a call under #ifdef inside the body: the call's own condition
    'demo_entry -> demo_trace direct feature.c:53 if CONFIG_DEMO_TRACE',
    'demo_entry -> demo_no_trace direct feature.c:55 if !CONFIG_DEMO_TRACE',
    // a table under #if: the condition of the table
    'demo_entry -> demo_y_setup ops demo_y_ops.setup feature.c:57 if IS_ENABLED(CONFIG_DEMO_Y)',
    'demo_feature -> demo_x_impl direct feature.c:20',
  ]);
  assert.deepEqual(g.nodes.map((n) => `${n.name} ${n.file}:${n.line}`), [
    'demo_entry feature.c:48',
    'demo_feature feature.c:18',
    'demo_feature feature.c:23',
    'demo_no_trace feature.c:44',
    'demo_trace feature.c:40',
    'demo_x_impl feature.c:12',
    'demo_y_setup feature.c:30',
  ]);
  // only the CONFIG_DEMO_X variant lies on a path to demo_x_impl
  assert.deepEqual(edges(graphFrom(p, 'demo_entry', { to: 'demo_x_impl', depth: 12 })), [
    'demo_entry -> demo_feature direct feature.c:50 if CONFIG_DEMO_X',
    'demo_feature -> demo_x_impl direct feature.c:20',
  ]);
  assert.deepEqual(unresolvedOf(p), []);
});

test('defCond drops a header\'s include guard and keeps every other condition', () => {
  assert.equal(defCond('x86.h', '!ARCH_X86_KVM_X86_H'), '');
  assert.equal(defCond('vmx/vmx.h', '!__KVM_X86_VMX_H && CONFIG_X86_64'), 'CONFIG_X86_64');
  assert.equal(defCond('kvm_host.h', '!__KVM_HOST_H__ && !(CONFIG_A)'), '!(CONFIG_A)');
  assert.equal(defCond('x86.c', '!ARCH_X86_KVM_X86_H'), '!ARCH_X86_KVM_X86_H');
  assert.equal(defCond('x86.h', '!CONFIG_X86_64'), '!CONFIG_X86_64');
  assert.equal(defCond('x86.h', 'CONFIG_KVM_H'), 'CONFIG_KVM_H');
});

// ---- (e) field types ---------------------------------------------------------

test('fields: struct.member names through container_of, to_x() helpers, locals, typedefs and nesting', () => {
  const { p } = fixture('fields');
  const f = fn(p, 'demo_vmx_reset');
  const sc = scopeOf(p, f);
  const got: string[] = [];
  walkStmt(f.body, [], (e) => {
    if (e.k === 'field') got.push(`${e.line} ${exprText(e)} = ${qualifiedField(sc, e) ?? '?'}`);
  });
  assert.deepEqual(got, [
    '15 vcpu->arch = demo_vcpu.arch',
    '15 vcpu->arch.mmu = demo_vcpu_arch.mmu',
    '17 vcpu->arch = demo_vcpu.arch',
    '17 vcpu->arch.cr0 = demo_vcpu_arch.cr0',
    '18 vcpu->arch = demo_vcpu.arch',
    '18 vcpu->arch.regs = demo_vcpu_arch.regs',
    // a local initialised from a to_x() helper
    '19 vmx->exit_qualification = vcpu_demo_vmx.exit_qualification',
    // a local initialised from container_of
    '20 same->vmcs = vcpu_demo_vmx.vmcs',
    '20 same->vmcs->revision_id = demo_vmcs.revision_id',
    // the helper's return type directly
    '21 to_demo_vmx(vcpu)->exit_qualification = vcpu_demo_vmx.exit_qualification',
    // container_of directly (the normalizer wrote its type as struct_vcpu_demo_vmx)
    '22 container_of(vcpu, struct_vcpu_demo_vmx, vcpu)->vmcs = vcpu_demo_vmx.vmcs',
    '22 container_of(vcpu, struct_vcpu_demo_vmx, vcpu)->vmcs->revision_id = demo_vmcs.revision_id',
    // right side first: a local of a typedef'd struct
    '23 mmu->root_hpa = demo_mmu.root_hpa',
    '23 vmx->vcpu = vcpu_demo_vmx.vcpu',
    '23 vmx->vcpu.arch = demo_vcpu.arch',
    '23 vmx->vcpu.arch.mmu = demo_vcpu_arch.mmu',
    '23 vmx->vcpu.arch.mmu->root_hpa = demo_mmu.root_hpa',
    '24 vcpu->arch = demo_vcpu.arch',
    '24 vcpu->arch.root_mmu = demo_vcpu_arch.root_mmu',
    '24 vcpu->arch.root_mmu.page_fault = demo_mmu.page_fault',
    // a cast, and a global
    '25 ((struct demo_vcpu *)opaque)->vcpu_id = demo_vcpu.vcpu_id',
    '25 demo_boot_vcpu->vcpu_id = demo_vcpu.vcpu_id',
    '26 (*vcpu).arch = demo_vcpu.arch',
    '26 (*vcpu).arch.cr0 = demo_vcpu_arch.cr0',
    // an undeclared name has no type
    '27 unknown_thing->field = ?',
    '28 vcpu->arch = demo_vcpu.arch',
    '28 vcpu->arch.mmu = demo_vcpu_arch.mmu',
    '28 vcpu->arch.mmu->page_fault = demo_mmu.page_fault',
  ]);
  // the hook set through vcpu->arch.root_mmu is found through vcpu->arch.mmu: same struct.member
  assert.deepEqual(sites(p, f).filter((s) => s.startsWith('28 ')), [
    '28 vcpu->arch.mmu->page_fault (indirect): demo_tdp_page_fault@vmx.c:6 ops demo_vmx_reset().page_fault',
  ]);
  assert.deepEqual(edges(graphFrom(p, 'demo_vmx_reset', { depth: 12 })), [
    'demo_vmx_reset -> to_demo_vmx direct vmx.c:13',
    'demo_vmx_reset -> to_demo_vmx direct vmx.c:21',
    'demo_vmx_reset -> demo_tdp_page_fault ops demo_vmx_reset().page_fault vmx.c:28',
  ]);
  assert.deepEqual(unresolvedOf(p), []);
});

// ---- (f) hooks set at run time -----------------------------------------------

test('runtime: `table.member = fn` and `ptr->member = fn` assignments link hooks', () => {
  const { p } = fixture('runtime');
  assert.deepEqual(sites(p, fn(p, 'demo_page_fault')), [
    // the initializer's function and the one hardware_setup() patches in
    '98 demo_hooks_table.flush (indirect): demo_flush_default@mmu.c:29 ops demo_hooks_table.flush, demo_flush_ept@mmu.c:33 ops demo_hooks_table.flush',
    // `= NULL` links nothing; the runtime table is named after the function that sets it
    '99 vcpu->arch.mmu->sync_page (indirect): demo_shadow_sync_page@mmu.c:63 ops demo_init_shadow_mmu().sync_page',
    '100 vcpu->arch.mmu->page_fault (indirect): demo_shadow_page_fault@mmu.c:58 ops demo_init_shadow_mmu().page_fault, demo_tdp_page_fault@mmu.c:53 ops demo_init_tdp_mmu().page_fault',
  ]);
  assert.deepEqual(edges(graphFrom(p, 'demo_notify_all', { depth: 12 })), [
    // a member the initializer leaves out, set by assignment
    'demo_notify_all -> demo_notify_impl ops demo_hooks_table.notify mmu.c:105',
  ]);
  assert.deepEqual(edges(graphFrom(p, 'demo_ctx_run', { depth: 12 })), [
    // ctx->hook = fn; the assignment of a pointer variable is not followed
    'demo_ctx_run -> demo_ctx_hook ops demo_ctx_init().hook mmu.c:93',
  ]);
  const hooks = [...p.hookImpls.entries()].map(([h, l]) => `${h}: ${l.map((i) => `${i.table.name}=${i.fn}`).join(' ')}`).sort();
  assert.deepEqual(hooks, [
    'demo_ctx.hook: demo_ctx_init()=demo_ctx_hook',
    'demo_hooks.flush: demo_hooks_table=demo_flush_default demo_hooks_table=demo_flush_ept',
    'demo_hooks.notify: demo_hooks_table=demo_notify_impl',
    'demo_mmu.page_fault: demo_init_shadow_mmu()=demo_shadow_page_fault demo_init_tdp_mmu()=demo_tdp_page_fault',
    'demo_mmu.sync_page: demo_init_shadow_mmu()=demo_shadow_sync_page',
  ]);
  assert.deepEqual(unresolvedOf(p), []);
});

test('pasted: a table member made by a token-pasting macro reaches the name each #if side makes', () => {
  const { p } = fixture('pasted');
  assert.deepEqual(edges(graphFrom(p, 'demo_create', { depth: 12 })), [
    // `vt_op(name)` is `vt_##name` under CONFIG_DEMO_TDX and `demo_vmx_##name` without it: both are kept
    'demo_create -> demo_vmx_vcpu_create ops demo_vt_ops.vcpu_create main.c:37 if !CONFIG_DEMO_TDX',
    'demo_create -> vt_vcpu_create ops demo_vt_ops.vcpu_create main.c:37 if CONFIG_DEMO_TDX',
    'demo_create -> demo_vmx_vcpu_reset ops demo_vt_ops.vcpu_reset main.c:41 if !CONFIG_DEMO_TDX',
    'demo_create -> vt_vcpu_reset ops demo_vt_ops.vcpu_reset main.c:41 if CONFIG_DEMO_TDX',
    // `vt_op_tdx_only(name)` is NULL without TDX: that side sets nothing
    'demo_create -> vt_external_only ops demo_vt_ops.external_only main.c:42 if CONFIG_DEMO_TDX',
    // patched at run time in tdx.c with a static of tdx.c, which main.c cannot name
    'demo_create -> tdx_set_spte ops demo_vt_ops.set_spte main.c:43',
    'vt_vcpu_create -> demo_tdx_vcpu_create direct main.c:9',
    'vt_vcpu_create -> demo_vmx_vcpu_create direct main.c:10',
    'vt_vcpu_reset -> demo_vmx_vcpu_reset direct main.c:15',
  ]);
  assert.deepEqual(unresolvedOf(p), []);
});

test('cleanup: a guard, CLASS, scoped_guard or __free calls its constructor there and its destructor at every exit of its scope', () => {
  const { p } = fixture('cleanup');
  const calls = (name: string) => callSites(p, fn(p, name)).map((cs) =>
    `${cs.line} ${cs.info.targets.map((t) => `${t.fn.name} ${t.kind}${t.via ? ` ${t.via}` : ''}`).join(', ') || cs.info.text}`);
  assert.deepEqual(calls('demo_guarded'), [
    '27 class_demo_vmcs01_constructor cleanup guard(demo_vmcs01)',
    // the return's value is computed before the destructor runs
    '30 demo_use',
    '30 class_demo_vmcs01_destructor cleanup guard(demo_vmcs01)',
    '31 demo_use',
    '32 class_demo_vmcs01_destructor cleanup guard(demo_vmcs01)',
    // the closing brace: reached by no path here, as the compiler would see it
    '33 class_demo_vmcs01_destructor cleanup guard(demo_vmcs01)',
  ]);
  assert.deepEqual(calls('demo_goto'), [
    '40 class_demo_vmcs01_constructor cleanup guard(demo_vmcs01)',
    // break and goto out of the loop body leave the guard's scope
    '43 class_demo_vmcs01_destructor cleanup guard(demo_vmcs01)',
    '45 class_demo_vmcs01_destructor cleanup guard(demo_vmcs01)',
    '46 demo_use',
    // the end of each iteration
    '47 class_demo_vmcs01_destructor cleanup guard(demo_vmcs01)',
  ]);
  assert.deepEqual(calls('demo_class'), [
    '54 class_demo_fd_constructor cleanup CLASS(demo_fd, f)',
    '57 class_demo_fd_destructor cleanup CLASS(demo_fd, f)',
    '58 class_demo_fd_destructor cleanup CLASS(demo_fd, f)',
    '59 class_demo_fd_destructor cleanup CLASS(demo_fd, f)',
  ]);
  assert.deepEqual(calls('demo_scoped'), [
    '63 class_demo_vmcs01_constructor cleanup scoped_guard(demo_vmcs01)',
    '64 demo_use',
    '65 class_demo_vmcs01_destructor cleanup scoped_guard(demo_vmcs01)',
  ]);
  assert.deepEqual(calls('demo_free'), [
    '71 demo_fget',
    '73 __free_demo_fput cleanup __free(demo_fput)',
    '74 __free_demo_fput cleanup __free(demo_fput)',
  ]);
  // the definitions, blanked for the parser, define the functions the macros would
  const made = p.files.flatMap((f) => f.functions).filter((f) => f.expandedFrom)
    .map((f) => `${f.name}:${f.line} ${f.expandedFrom} -> ${callSites(p, f).map((cs) => cs.info.text).join(' ')}`);
  assert.deepEqual(made, [
    'class_demo_vmcs01_constructor:17 DEFINE_GUARD(demo_vmcs01) -> demo_load',
    'class_demo_vmcs01_destructor:17 DEFINE_GUARD(demo_vmcs01) -> demo_put',
    'class_demo_fd_constructor:20 DEFINE_CLASS(demo_fd) -> demo_fget',
    'class_demo_fd_destructor:20 DEFINE_CLASS(demo_fd) -> demo_fput',
    '__free_demo_fput:23 DEFINE_FREE(demo_fput) -> demo_fput',
  ]);
  assert.deepEqual(edges(graphFrom(p, 'demo_scoped', { depth: 3 })), [
    'demo_scoped -> class_demo_vmcs01_constructor cleanup scoped_guard(demo_vmcs01) demo.c:63',
    'demo_scoped -> class_demo_vmcs01_destructor cleanup scoped_guard(demo_vmcs01) demo.c:65',
  ]);
  assert.equal(renderGraph(graphFrom(p, 'demo_scoped', { depth: 3 }), 'text'),
    'demo_scoped -> class_demo_vmcs01_constructor  [cleanup scoped_guard(demo_vmcs01)] demo.c:63\n' +
    'demo_scoped -> class_demo_vmcs01_destructor  [cleanup scoped_guard(demo_vmcs01)] demo.c:65\n');
});

test('runtime: the scan reads only the bodies that store a function\'s name in a member', () => {
  const { tree, pack, p } = fixture('runtime');
  const stored = new Map(tree.files.flatMap((f) => f.functions).map((d) => [d.name, d.storedNames]));
  // in order of first appearance; a parameter is a name too, which only the program tells from a function
  assert.deepEqual(stored.get('demo_ctx_init'), ['demo_ctx_hook', 'fallback']);
  assert.deepEqual(stored.get('demo_init_tdp_mmu'), ['demo_tdp_page_fault']);
  assert.deepEqual(stored.get('demo_page_fault'), []);
  // the same facts with every body behind a getter that notes who was read
  const w = withBodyReads(tree);
  const read = w.read;
  const watched = makeProgram(w.tree, pack);
  assert.deepEqual([...read].sort(), ['demo_ctx_init', 'demo_hardware_setup', 'demo_init_shadow_mmu', 'demo_init_tdp_mmu']);
  const impls = (q: Program) => [...q.hookImpls.entries()].map(([h, l]) => `${h}: ${l.map((i) => `${i.table.name}=${i.fn}`).join(' ')}`).sort();
  assert.deepEqual(impls(watched), impls(p));
});

test('resolution belongs to one program: the same facts under another pack resolve afresh', () => {
  const { tree, pack, p } = fixture('ops');
  const f = fn(p, 'demo_vcpu_create');
  const before = sites(p, f);
  // a pack that names no ops macros: static_call() and demo_call() lead nowhere
  const bare: Pack = { ...pack, program: { ...pack.program, opsCallMacros: [] } };
  const q = makeProgram(tree, bare);
  const after = sites(q, fn(q, 'demo_vcpu_create'));
  assert.notDeepEqual(after, before);
  assert.ok(after.includes('25 static_call(demo_x86_vcpu_reset) (named): '), after.join('\n'));
  assert.ok(after.includes('27 demo_call(vcpu_create) (named): '), after.join('\n'));
  // the first program still answers as before, and again the same after a rebuild
  assert.deepEqual(sites(p, f), before);
  const again = makeProgram(tree, pack);
  assert.deepEqual(sites(again, fn(again, 'demo_vcpu_create')), before);
  assert.deepEqual(unresolvedOf(again), unresolvedOf(p));
});

// ---- the graph command -------------------------------------------------------

test('graph --format json: nodes, edges and unresolved calls in a fixed shape', () => {
  const { dir, packFile } = fixture('ops');
  const r = cli(['graph', dir, '--rules', packFile, '--from', 'demo_unresolved', '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  const g = JSON.parse(r.stdout) as Graph;
  assert.deepEqual(Object.keys(g), ['nodes', 'edges', 'unresolved']);
  assert.deepEqual(g.nodes, [{ name: 'demo_unresolved', file: 'core.c', line: 34 }]);
  assert.deepEqual(g.edges, []);
  assert.equal(g.unresolved.length, 8);
  for (const u of g.unresolved) assert.deepEqual(Object.keys(u), ['file', 'line', 'expr']);
  assert.deepEqual(g.unresolved[0], { file: 'core.c', line: 38, expr: 'fp' });

  const r2 = cli(['graph', dir, '--rules', packFile, '--from', 'demo_vcpu_create', '--format', 'json']);
  assert.equal(r2.status, 0, r2.stderr);
  const g2 = JSON.parse(r2.stdout) as Graph;
  for (const n of g2.nodes) {
    assert.deepEqual(Object.keys(n), ['name', 'file', 'line']);
    assert.equal(typeof n.line, 'number');
  }
  for (const e of g2.edges) {
    assert.deepEqual(Object.keys(e), ['from', 'to', 'kind', 'via', 'file', 'line']);
    assert.ok(['direct', 'macro', 'ops'].includes(e.kind));
  }
  assert.deepEqual(g2, JSON.parse(JSON.stringify(graphFrom(fixture('ops').p, 'demo_vcpu_create', { depth: 12 }))));
  assert.deepEqual(g2.edges[0], { from: 'demo_vcpu_create', to: 'svm_vcpu_create', kind: 'ops', via: 'svm_demo_ops.vcpu_create', file: 'core.c', line: 19 });
  assert.deepEqual(g2.unresolved, []);

  // an edge under a condition carries it as one more key
  const { dir: idir, packFile: ipack } = fixture('ifdef');
  const r3 = cli(['graph', idir, '--rules', ipack, '--from', 'demo_entry', '--to', 'demo_x_impl', '--format', 'json']);
  assert.equal(r3.status, 0, r3.stderr);
  assert.deepEqual(JSON.parse(r3.stdout), {
    nodes: [
      { name: 'demo_entry', file: 'feature.c', line: 48 },
      { name: 'demo_feature', file: 'feature.c', line: 18 },
      { name: 'demo_x_impl', file: 'feature.c', line: 12 },
    ],
    edges: [
      { from: 'demo_entry', to: 'demo_feature', kind: 'direct', via: '', file: 'feature.c', line: 50, cond: 'CONFIG_DEMO_X' },
      { from: 'demo_feature', to: 'demo_x_impl', kind: 'direct', via: '', file: 'feature.c', line: 20 },
    ],
    unresolved: [],
  });
});

test('graph --format text lists edges then unresolved calls; unknown functions are usage errors', () => {
  const { dir, packFile } = fixture('macro');
  const r = cli(['graph', dir, '--rules', packFile, '--from', 'demo_reset']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'demo_reset -> demo_flush_tlb  [macro demo_flush_all] demo.c:11',
    'demo_reset -> demo_sync_regs  [macro demo_flush_all] demo.c:11',
    'demo_reset -> demo_flush_tlb  [macro DEMO_RESET] demo.c:12',
    'demo_reset -> demo_sync_regs  [macro DEMO_RESET] demo.c:12',
    '',
  ].join('\n'));
  const o = fixture('ops');
  const u = cli(['graph', o.dir, '--rules', o.packFile, '--from', 'demo_unresolved', '--format', 'text']);
  assert.equal(u.status, 0, u.stderr);
  assert.match(u.stdout, /^unresolved core\.c:38: fp$/m);
  const bad = cli(['graph', dir, '--rules', packFile, '--from', 'no_such_function']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr, 'callorder: --from no_such_function: no such function in the analysed files\n');
  for (const depth of ['abc', '-1', '1.5']) {
    const d = cli(['graph', dir, '--rules', packFile, '--from', 'demo_reset', `--depth=${depth}`]);
    assert.equal(d.status, 2, depth);
    assert.equal(d.stderr, 'callorder: --depth must be a whole number of calls (0 or more)\n', depth);
  }
  // no path: nothing on stdout, and a line on stderr saying so
  const none = cli(['graph', dir, '--rules', packFile, '--from', 'demo_reset', '--to', 'demo_clamp']);
  assert.equal(none.status, 0, none.stderr);
  assert.equal(none.stdout, '');
  assert.equal(none.stderr, 'no path from demo_reset to demo_clamp within 12 calls\n');
  const shallow = cli(['graph', dir, '--rules', packFile, '--from', 'demo_reset', '--to', 'demo_sync_regs', '--depth', '1']);
  assert.equal(shallow.status, 0, shallow.stderr);
  assert.equal(shallow.stdout, [
    'demo_reset -> demo_sync_regs  [macro demo_flush_all] demo.c:11',
    'demo_reset -> demo_sync_regs  [macro DEMO_RESET] demo.c:12',
    '',
  ].join('\n'));
  assert.equal(cli(['graph', dir, '--rules', packFile, '--from', 'demo_reset', '--depth', '0']).stdout, '');
});

/**
 * A structural check of the DOT the renderer writes: a digraph of node and
 * edge statements whose IDs are quoted strings and whose attribute values are
 * quoted strings or plain words, every edge between declared nodes.
 */
function checkDot(text: string): void {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.equal(lines.shift(), 'digraph callorder {');
  assert.equal(lines.pop(), '}');
  const q = '"(?:[^"\\\\\\n]|\\\\.)*"';
  const attr = `[a-z]+=(?:${q}|[A-Za-z0-9_]+)`;
  const attrs = `\\[${attr}(?:, ${attr})*\\]`;
  const nodeRe = new RegExp(`^  (${q}) ${attrs};$`);
  const edgeRe = new RegExp(`^  (${q}) -> (${q}) ${attrs};$`);
  assert.match(lines.shift()!, new RegExp(`^  node ${attrs};$`));
  const nodes = new Set<string>();
  for (const l of lines) {
    const n = nodeRe.exec(l);
    if (n) {
      nodes.add(n[1]);
      continue;
    }
    const e = edgeRe.exec(l);
    assert.ok(e, `not a DOT node or edge statement: ${l}`);
    assert.ok(nodes.has(e[1]) && nodes.has(e[2]), `edge between undeclared nodes: ${l}`);
  }
}

const haveDot = spawnSync('dot', ['-V'], { encoding: 'utf8' }).status === 0;

test('graph --format dot is well-formed DOT', async (t) => {
  const outs: string[] = [];
  for (const [name, from] of [['ops', 'demo_vcpu_create'], ['ifdef', 'demo_entry'], ['macro', 'demo_reset'], ['runtime', 'demo_page_fault'], ['ops', 'demo_unresolved']]) {
    const { dir, packFile } = fixture(name);
    const r = cli(['graph', dir, '--rules', packFile, '--from', from, '--format', 'dot']);
    assert.equal(r.status, 0, r.stderr);
    checkDot(r.stdout);
    assert.equal(r.stdout, renderGraph(graphFrom(fixture(name).p, from, { depth: 12 }), 'dot'));
    outs.push(r.stdout);
  }
  assert.ok(outs[0].includes('"demo_vcpu_create" -> "vmx_vcpu_create" [label="vmx_demo_ops.vcpu_create", tooltip="core.c:19", style=dashed];'), outs[0]);
  assert.ok(outs[1].includes('"demo_entry" -> "demo_feature" [label="if !CONFIG_DEMO_X", tooltip="feature.c:50"];'), outs[1]);
  assert.ok(outs[2].includes('"demo_reset" -> "demo_sync_regs" [label="macro DEMO_RESET", tooltip="demo.c:12", style=dotted];'), outs[2]);
  // names that need escaping stay one quoted ID
  const odd = renderGraph({
    nodes: [{ name: 'a"b', file: 'x\\y.c', line: 1 }, { name: 'c', file: 'x.c', line: 2 }],
    edges: [{ from: 'a"b', to: 'c', kind: 'ops', via: 't."m"', file: 'x\\y.c', line: 3 }],
    unresolved: [],
  }, 'dot');
  checkDot(odd);
  outs.push(odd);

  await t.test('renders with Graphviz dot', { skip: haveDot ? false : 'dot (Debian package graphviz) is not installed' }, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-dot-'));
    try {
      for (const [i, text] of outs.entries()) {
        const r = spawnSync('dot', ['-Tsvg'], { input: text, encoding: 'utf8' });
        assert.equal(r.status, 0, `dot rejected graph ${i}: ${r.stderr}`);
        assert.equal(r.stderr, '', `dot warned on graph ${i}`);
        assert.match(r.stdout, /<svg[\s>]/);
        fs.writeFileSync(path.join(tmp, `g${i}.svg`), r.stdout);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
