// The front end on the real Debian trees, 7.2 (the current kernel), 6.12 and
// 6.1, over the .c and .h files of arch/x86/kvm and virt/kvm:
//   - every function definition parses with no ERROR/MISSING node;
//   - no function universal-ctags lists is missing from the facts, and no
//     function is in the facts that ctags does not list, except for the
//     ctags artefacts named in CTAGS_ARTEFACTS below, each with its reason.
// Skipped (with a message) only when no ctags is installed; CI installs
// universal-ctags.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from './fetch-kernel';
import { loadTree, type TreeFacts } from '../driver/load-tree';
import { loadPack, defaultPackPath } from '../pack/load';
import { computeStats } from '../report/stats';

const INCLUDE = ['arch/x86/kvm/**/*.[ch]', 'virt/kvm/**/*.[ch]'];
const MIN_CLEAN_PERCENT = 100;

/**
 * What ctags lists that is not a function definition. In all three a macro
 * that expands to function definitions is invoked at file scope with no `;`
 * (`BUILD_X(args)` alone on its line) and a real definition follows; ctags
 * reads the invocation as a K&R-style header `NAME(params)` whose parameter
 * declarations are the next definition's header, so it lists the macro's name
 * as a function at the invocation and never lists the definition after it.
 * The front end blanks the invocation and has the real definition, which the
 * test requires to be there: `shadows` is the first definition after it.
 */
const CTAGS_ARTEFACTS: { file: string; name: string; shadows: string; reason: string; cleanup?: boolean }[] = [
  {
    file: 'arch/x86/kvm/kvm_cache_regs.h', name: 'BUILD_KVM_GPR_ACCESSORS', shadows: 'kvm_register_is_available',
    reason: 'macro invocation without `;` before a definition (generates kvm_rax_read() etc.), read by ctags as a K&R header',
  },
  {
    file: 'arch/x86/kvm/regs.h', name: 'BUILD_KVM_GPR_ACCESSORS', shadows: 'kvm_register_is_available',
    reason: 'the same invocation after 7.x moved it from kvm_cache_regs.h to regs.h',
  },
  {
    // a cleanup definition: the front end has the constructor and destructor it defines instead
    file: 'arch/x86/kvm/vmx/vmx.c', name: 'DEFINE_GUARD', shadows: 'vmx_emulation_required', cleanup: true,
    reason: '`DEFINE_GUARD(vmx_vmcs01, ...)` (7.x) without `;` before a definition, read by ctags as a K&R header',
  },
  {
    file: 'arch/x86/kvm/vmx/nested.c', name: 'BUILD_NVMX_MSR_INTERCEPT_HELPER', shadows: 'nested_vmx_set_intercept_for_msr',
    reason: 'macro invocation without `;` before a definition (generates nested_vmx_set_msr_*_intercept()), read by ctags as a K&R header',
  },
  {
    file: 'arch/x86/kvm/vmx/vmx.h', name: 'BUILD_VMX_MSR_BITMAP_HELPERS', shadows: 'vmx_get_rvi',
    reason: 'macro invocation without `;` before a definition (generates vmx_test_msr_bitmap_read() etc.), read by ctags as a K&R header',
  },
];

function ctagsVersion(): string | null {
  const r = spawnSync('ctags', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n')[0];
}

/** (file, name) → the lines ctags gives, for the function definitions of `files`. */
function ctagsFunctions(root: string, files: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  // --c-kinds works in exuberant and universal ctags alike; line numbers as the address
  const args = ['-f', '-', '--c-kinds=f', '--excmd=number', '--language-force=C'];
  for (let i = 0; i < files.length; i += 200) {
    const r = spawnSync('ctags', [...args, ...files.slice(i, i + 200)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, `ctags failed: ${r.stderr}`);
    for (const l of r.stdout.split('\n')) {
      if (!l || l.startsWith('!_')) continue;
      const [name, file, addr] = l.split('\t');
      const k = `${file}\t${name}`;
      out.set(k, [...(out.get(k) ?? []), Number.parseInt(addr, 10)]);
    }
  }
  return out;
}

/** The functions the files define as text: those a cleanup definition's macro defines are not text ctags could see. */
function ourFunctions(tree: TreeFacts): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const f of tree.files) {
    for (const fn of f.functions) {
      if (fn.expandedFrom) continue;
      const k = `${f.file}\t${fn.name}`;
      out.set(k, [...(out.get(k) ?? []), fn.line]);
    }
  }
  return out;
}

for (const version of ['7.2', '6.12', '6.1'] as const) {
  test(`front end on the Debian ${version} tree (arch/x86/kvm, virt/kvm)`, async (t) => {
    const root = fetchKernel(version);
    const pack = loadPack(defaultPackPath());
    const started = Date.now();
    const tree = loadTree(root, pack, { include: INCLUDE });
    const ms = Date.now() - started;
    const s = computeStats(tree);
    const bad = s.functions.filter((f) => f.hasError);
    t.diagnostic(`${version}: ${s.files} files, ${s.functionCount} functions, ${s.functionsWithError} with ERROR/MISSING nodes, clean ${s.cleanPercent}% (read and parsed in ${ms} ms)`);
    for (const f of bad) t.diagnostic(`  with errors: ${f.file}:${f.line} ${f.name}`);
    const made = tree.files.flatMap((f) => f.functions.filter((fn) => fn.expandedFrom).map((fn) => `${f.file}:${fn.line} ${fn.name} (${fn.expandedFrom})`));
    t.diagnostic(`${version}: ${made.length} functions defined by cleanup definitions`);
    for (const m of made) t.diagnostic(`  ${m}`);
    assert.ok(s.files > 80, `only ${s.files} files under ${INCLUDE.join(', ')} in ${root}`);
    assert.ok(s.cleanPercent >= MIN_CLEAN_PERCENT, `clean ${s.cleanPercent}% < ${MIN_CLEAN_PERCENT}%`);

    await t.test('the functions universal-ctags lists', (tt) => {
      const v = ctagsVersion();
      if (!v) {
        tt.skip('ctags is not installed (CI installs universal-ctags): the comparison with ctags is not made');
        return;
      }
      const theirs = ctagsFunctions(root, tree.files.map((f) => f.file));
      const ours = ourFunctions(tree);
      const allowed = new Map(CTAGS_ARTEFACTS.map((a) => [`${a.file}\t${a.name}`, a]));
      const missing: string[] = [];
      const artefacts: string[] = [];
      for (const [k, lines] of theirs) {
        if (ours.has(k)) continue;
        const a = allowed.get(k);
        const where = `${k.replace('\t', `:${lines[0]} `)}`;
        if (!a) { missing.push(where); continue; }
        // an artefact is a macro invocation on its own line, and the macro is one the facts know
        const src = fs.readFileSync(path.join(root, a.file), 'latin1').split('\n')[lines[0] - 1] ?? '';
        assert.match(src, new RegExp(`^\\s*${a.name}\\(`), `${where}: the allowed artefact is not a macro invocation line`);
        if (a.cleanup) {
          const made = tree.files.find((f) => f.file === a.file)!.functions.filter((f) => f.line === lines[0] && f.expandedFrom?.startsWith(`${a.name}(`));
          assert.ok(made.length, `${where}: the front end defines no function from this cleanup definition`);
        } else assert.ok(tree.files.some((f) => f.macros.some((m) => m.name === a.name)), `${a.name} is not a macro of the tree`);
        artefacts.push(`${where} (${a.reason})`);
      }
      const extra: string[] = [];
      for (const [k, lines] of ours) {
        if (theirs.has(k)) continue;
        const [file, name] = k.split('\t');
        // a definition ctags misses must be the first one after an allowed artefact
        const a = CTAGS_ARTEFACTS.find((x) => x.file === file && x.shadows === name);
        const art = a ? theirs.get(`${a.file}\t${a.name}`) : undefined;
        if (art) {
          const next = tree.files.find((f) => f.file === file)!.functions
            .filter((f) => f.line > art[0]).sort((x, y) => x.line - y.line)[0];
          if (next && next.name === name) continue;
        }
        extra.push(`${file}:${lines[0]} ${name}`);
      }
      let counts = 0;
      for (const [k, lines] of theirs) {
        const o = ours.get(k);
        if (o && o.length !== lines.length) {
          counts++;
          tt.diagnostic(`  ${k.replace('\t', ' ')}: ctags lists ${lines.length}, the facts hold ${o.length}`);
        }
      }
      tt.diagnostic(`${version}: ${v}; ctags lists ${theirs.size} (file, function) pairs, the facts ${ours.size}; ` +
        `missing ${missing.length}, not in ctags ${extra.length}, allowed ctags artefacts ${artefacts.length}, count differences ${counts}`);
      for (const a of artefacts) tt.diagnostic(`  allowed: ${a}`);
      for (const m of missing) tt.diagnostic(`  missing: ${m}`);
      for (const e of extra) tt.diagnostic(`  not in ctags: ${e}`);
      assert.deepEqual(missing, [], 'functions ctags lists that the facts lack');
      assert.deepEqual(extra, [], 'functions in the facts that ctags does not list and no artefact explains');
    });
  });
}
