// The kernel-C normalization, one fixture per kind of rewrite
// (fixtures/normalize/<kind>.c, and <kind>.expected.c the exact text it must
// become): the output is exact, no byte moves and no newline is touched, and
// what comes out parses without one ERROR or MISSING node and yields the
// functions (and, where a rewrite is about them, the members, globals and
// tables) the source defines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { makeNormalizer, type FrontendConfig } from './normalize';
import { loadPack, defaultPackPath } from '../pack/load';
import { parseText } from './parse-file';
import type { FileFacts } from './ir';
import { append } from '../util/append';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures', 'normalize');
const LIMITS = { maxFileSize: 1 << 30, timeoutMs: 0 };

const pack = loadPack(defaultPackPath());
const normalize = makeNormalizer(pack.frontend);

let parser: Parser | null = null;
function treeOf(text: string): Parser.Tree {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return parser.parse(text);
}

/** `line:col type "text"` of the first ERROR or MISSING node, '' when there is none. */
function firstError(text: string): string {
  const stack = [treeOf(text).rootNode];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'ERROR' || n.isMissing) {
      return `${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.isMissing ? `MISSING ${n.type}` : 'ERROR'} ${JSON.stringify(n.text.slice(0, 60))}`;
    }
    if (n.hasError) append(stack, n.children);
  }
  return '';
}

function newlines(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10 || s.charCodeAt(i) === 13) out.push(i);
  return out;
}

interface Case {
  /** functions the fixture defines, in the order the facts list them */
  functions: string[];
  /** further facts the rewrite exists for */
  check?: (f: FileFacts) => void;
  /** the fixture shows what is left alone */
  unchanged?: boolean;
}

const CASES: Record<string, Case> = {
  annotations: {
    functions: ['vmx_init', 'vmx_do_enter'],
    check: (f) => assert.deepEqual(f.globals.map((g) => `${g.name}:${g.type.name}`), ['kvm_cnt:unsigned long']),
  },
  'annotations-with-args': {
    functions: ['kvm_msg', 'lock_it', 'probe'],
    check: (f) => assert.deepEqual(f.structs.map((s) => `${s.name}{${s.fields.map((x) => x.name)}}`), ['msr_entry{index,data}']),
  },
  'asm-macros': { functions: ['test_cc', 'vmxoff', 'readl', 'fxsave', 'hypercall0'] },
  'case-ranges': { functions: ['classify'] },
  'conditionals-cut': {
    functions: ['enter_smm', 'init_fields', 'vcpu_fault', 'vcpu_map', 'create_vm', 'dy_runnable', 'setup_ctls'],
  },
  'conditionals-decided': {
    // never_built is under `#if 0`; the __ASSEMBLY__ side is gone, the C side stays
    functions: ['encode_frame_pointer', 'always_c', 'maybe_built'],
  },
  'conditionals-kept': {
    unchanged: true,
    functions: ['handle', 'kvm_hv_vcpu_init', 'kvm_hv_vcpu_init'],
    check: (f) => {
      // both definitions keep their conditions: these groups are not rewritten
      assert.deepEqual(f.functions.filter((x) => x.name === 'kvm_hv_vcpu_init').map((x) => x.cond), ['CONFIG_KVM_HYPERV', '!CONFIG_KVM_HYPERV']);
      assert.deepEqual(f.structs[0].fields.map((x) => x.name), ['efer', 'msr_kernel_gs_base', 'mode']);
    },
  },
  'conditionals-lists': {
    functions: ['use_tables'],
    check: (f) => {
      assert.deepEqual(f.tables.map((t) => `${t.name}: ${Object.keys(t.members).join(' ')}`),
        ['vmx_x86_ops: name set_hv_timer cancel_hv_timer vcpu_create']);
      assert.deepEqual(f.globals.map((g) => g.name), ['vmx_x86_ops', 'shadow_read_only_fields']);
    },
  },
  'declarator-macros': {
    functions: ['vpid_free'],
    check: (f) => {
      assert.deepEqual(f.structs.map((s) => s.fields.map((x) => `${x.name}:${x.type.name}${x.type.array ? '[]' : ''}`)),
        [['map:unsigned long[]', 'vectors:u8[]']]);
      assert.deepEqual(f.globals.map((g) => `${g.name}:${g.type.name}${'*'.repeat(g.type.ptr)}${g.type.array ? '[]' : ''}`),
        ['vmxarea:struct vmcs*', 'current_vmcs:struct vmcs*', 'vmx_vpid_bitmap:unsigned long[]']);
    },
  },
  'file-scope-macros': {
    functions: ['kvm_init_lock'],
    check: (f) => assert.deepEqual(f.structs.map((s) => s.fields.map((x) => x.name)), [['write_lock']]),
  },
  iterators: { functions: ['kick_all', 'pause_all'] },
  'case-label-macros': { functions: ['cpu_has_vmcs12_field'] },
  'empty-arguments': { functions: ['kvm_initialize_cpu_caps'] },
  'line-macros': {
    functions: ['kvm_register_is_available', 'after_fops'],
    check: (f) => assert.deepEqual(f.structs.map((s) => s.fields.map((x) => x.name)), [['l_type', 'l_pid']]),
  },
  'macro-definitions': {
    functions: ['vmcs_clear'],
    check: (f) => assert.deepEqual(f.macros.map((m) => `${m.name}(${m.params.join(',')})`),
      ['X2(x)', 'vmx_insn_failed(fmt)', 'vmx_asm1(insn,op1,error_args)', 'MULTI_LINE_COMMENT(a)']),
  },
  offsetof: { functions: ['fxstate_size', 'shared_info_init'] },
  'pp-numbers': { functions: ['set_caps'] },
  'type-args': { functions: ['to_vmx', 'clamp_it', 'alloc_msrs', 'alloc_typed'] },
};

test('every fixture in fixtures/normalize has a case here, and every case a fixture', () => {
  const files = fs.readdirSync(FIXTURES);
  const kinds = files.filter((f) => f.endsWith('.c') && !f.endsWith('.expected.c')).map((f) => f.slice(0, -2)).sort();
  assert.deepEqual(kinds, Object.keys(CASES).sort());
  for (const k of kinds) assert.ok(files.includes(`${k}.expected.c`), `${k}.expected.c is missing`);
});

for (const [kind, c] of Object.entries(CASES)) {
  test(`normalize: ${kind}`, () => {
    const before = fs.readFileSync(path.join(FIXTURES, `${kind}.c`), 'latin1');
    const expected = fs.readFileSync(path.join(FIXTURES, `${kind}.expected.c`), 'latin1');
    if (c.unchanged) assert.equal(expected, before, 'the fixture shows text left alone');
    else assert.notEqual(expected, before, 'the fixture exercises a rewrite');
    const after = normalize(before);
    assert.equal(after, expected);
    assert.equal(after.length, before.length, 'length unchanged');
    assert.deepEqual(newlines(after), newlines(before), 'every newline where it was');
    assert.equal(normalize(after), after, 'normalizing twice changes nothing more');
    assert.equal(firstError(after), '', 'the normalized text parses without ERROR or MISSING nodes');

    const r = parseText(before, `${kind}.c`, normalize, LIMITS);
    assert.ok(r.ok, r.ok ? '' : r.note);
    const facts = r.facts;
    assert.equal(facts.topLevelErrors, 0);
    assert.deepEqual(facts.functions.filter((f) => f.hasError).map((f) => f.name), []);
    assert.deepEqual(facts.functions.map((f) => f.name), c.functions);
    c.check?.(facts);
  });
}

test('normalize: a changed character is a blank, a joiner, or the text of a rewrite', () => {
  // blanks, `_` (joined words, `3DNOW` → `_DNOW`), `"` (string macros), `[` `]`
  // (DECLARE_BITMAP), `\\` (comments in a #define), and the words rewrites write
  const fe = pack.frontend;
  const words = ['while', '|0&', 'if', 'case', ...Object.values(fe.aliases ?? {}), ...Object.values(fe.declaratorMacros ?? {}).map((d) => d.type ?? '')];
  const allowed = new Set([...' _"[]\\', ...words.join('')]);
  for (const kind of Object.keys(CASES)) {
    const before = fs.readFileSync(path.join(FIXTURES, `${kind}.c`), 'latin1');
    const after = normalize(before);
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== after[i]) assert.ok(allowed.has(after[i]), `${kind}: offset ${i} became ${JSON.stringify(after[i])}`);
    }
  }
});

test('normalize: text outside latin1 is rewritten the same way and keeps its characters', () => {
  const src = 'static int __init f(void) { return g("\u00e9\u4e2d\u{1f600}"); } /* \u4e2d */\n';
  const out = normalize(src);
  assert.equal(out.length, src.length);
  assert.equal(out, src.replace('__init', '      '));
});

test('normalize: a pack without the optional lists still works', () => {
  const minimal: FrontendConfig = { blank: ['__init'], blankWithArgs: [], fileScopeMacroPatterns: [], iteratorPatterns: [], typeArgMacros: {} };
  const n = makeNormalizer(minimal);
  assert.equal(n('int __init f(void);\n'), 'int        f(void);\n');
});

test('normalize: unbalanced and unterminated input is rewritten without throwing', () => {
  const inputs = [
    '#endif\n#else\nint f(void) {\n', '#if 1\nint f(void) { return (((1; }\n', '}}}))) ]]] int x;', '"unterminated\n',
    "'x", '/* open comment', '#define X(a...', 'case 1 ...', 'container_of(', 'offsetof(struct s, a[', '#if 0\nint f(void) {}\n',
  ];
  for (const s of inputs) {
    const out = normalize(s);
    assert.equal(out.length, s.length, JSON.stringify(s));
    assert.deepEqual(newlines(out), newlines(s), JSON.stringify(s));
  }
});
