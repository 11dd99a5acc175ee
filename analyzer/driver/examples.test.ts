// The default pack's rules carry their examples (fixtures/kvm-x86/<rule-id>/)
// and `callorder rules test` runs them: each case here too, then the command
// itself, passing, failing on a wrong expectation, and refusing a pack whose
// examples directory is missing. `rules list` is checked on the same pack.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadPack, defaultPackPath } from '../pack/load';
import { exampleSuites, runCase, diffExcerpt, casesIn } from './examples';
import { PackError } from '../util/errors';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');
const pack = loadPack(defaultPackPath());

function cli(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('every rule of the default pack has its own examples: a directory named after it, valid and invalid cases', () => {
  const suites = exampleSuites(pack);
  assert.deepEqual(suites.map((s) => s.rules), pack.rules.map((r) => [r.id]));
  for (const s of suites) {
    assert.equal(s.dir, path.join(ROOT, 'fixtures', 'kvm-x86', s.rules[0]));
    assert.deepEqual(s.problems, [], s.rules[0]);
    assert.ok(s.cases.some((c) => c.valid), `${s.rules[0]}: a valid case`);
    assert.ok(s.cases.some((c) => !c.valid), `${s.rules[0]}: an invalid case`);
  }
});

for (const s of exampleSuites(pack)) {
  for (const c of s.cases) {
    test(`${s.rules[0]}: ${c.name}`, () => {
      const r = runCase(pack, s, c);
      assert.deepEqual(r.problems, []);
      assert.equal(r.actual, r.expected);
    });
  }
}

test('rules test: the default pack passes, one line a case and a summary', () => {
  const r = cli(['rules', 'test']);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  const lines = r.stdout.trimEnd().split('\n');
  const total = exampleSuites(pack).reduce((n, s) => n + s.cases.length, 0);
  assert.equal(lines.filter((l) => l.startsWith('ok ')).length, total);
  assert.ok(lines.includes('ok set-cpuid-after-run invalid-warn-only'));
  assert.equal(lines[lines.length - 1], `${total} cases of ${pack.rules.length} rules: ${total} passed, 0 failed`);
});

/** A copy of one rule of the default pack, its examples in a temporary directory. */
function tempPack(ruleId: string, edit: (dir: string) => void): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-examples-'));
  // the default pack is YAML, with sets the rule may splice: they come along into the JSON copy
  const raw = (require('yaml') as typeof import('yaml')).parse(fs.readFileSync(defaultPackPath(), 'utf8'), { merge: true });
  raw.extends = [path.join(ROOT, 'rules', 'kernel-c.json')];
  raw.rules = raw.rules.filter((r: { id: string }) => r.id === ruleId);
  raw.rules[0].examples = 'cases';
  fs.cpSync(path.join(ROOT, 'fixtures', 'kvm-x86', ruleId), path.join(dir, 'cases'), { recursive: true });
  edit(path.join(dir, 'cases'));
  const file = path.join(dir, 'pack.json');
  fs.writeFileSync(file, JSON.stringify(raw));
  return { dir, file };
}

test('rules test: a wrong expectation fails with the case, a diff, and exit 1', () => {
  const t = tempPack('reset-clears-control-regs', (cases) => {
    const f = path.join(cases, 'invalid-cr3-not-cleared.expected');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('kvm_vcpu_arch.cr3', 'kvm_vcpu_arch.cr4'));
  });
  try {
    const r = cli(['rules', 'test', '--rules', t.file], t.dir);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.includes('FAIL reset-clears-control-regs invalid-cr3-not-cleared (cases)'), r.stdout);
    assert.ok(lines.includes('ok reset-clears-control-regs valid-cr3-cleared'), r.stdout);
    assert.ok(lines.some((l) => l.startsWith('    - ') && l.includes('does not write kvm_vcpu_arch.cr4')), r.stdout);
    assert.ok(lines.some((l) => l.startsWith('    + ') && l.includes('does not write kvm_vcpu_arch.cr3')), r.stdout);
    assert.equal(lines[lines.length - 1], '4 cases of 1 rules: 3 passed, 1 failed');
    const j = cli(['rules', 'test', '--rules', t.file, '--format', 'json'], t.dir);
    assert.equal(j.status, 1);
    const out = JSON.parse(j.stdout);
    assert.deepEqual([out.passed, out.failed], [3, 1]);
    assert.deepEqual(out.cases.filter((c: { ok: boolean }) => !c.ok).map((c: { case: string }) => c.case), ['invalid-cr3-not-cleared']);
  } finally {
    fs.rmSync(t.dir, { recursive: true, force: true });
  }
});

test('rules test: a valid case that reports, and an invalid case without its .expected, fail', () => {
  const t = tempPack('cpuid-state-before-read', (cases) => {
    fs.copyFileSync(path.join(cases, 'invalid-mmu-create.c'), path.join(cases, 'valid-not-really.c'));
    fs.rmSync(path.join(cases, 'invalid-vendor-create.expected'));
  });
  try {
    const r = cli(['rules', 'test', '--rules', t.file], t.dir);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^FAIL cpuid-state-before-read valid-not-really \(cases\)\n {4}a valid case, yet reported:\n {4}\+ kvm_host\.h:34:20: cpuid_maxphyaddr\(\)/m);
    assert.match(r.stdout, /^FAIL cpuid-state-before-read invalid-vendor-create \(cases\)\n {4}no invalid-vendor-create\.expected$/m);
  } finally {
    fs.rmSync(t.dir, { recursive: true, force: true });
  }
});

test('a missing examples directory stops the run: file, key and reason on one line, exit 2', () => {
  const t = tempPack('set-cpuid-after-run', () => {});
  try {
    const raw = JSON.parse(fs.readFileSync(t.file, 'utf8'));
    raw.rules[0].examples = 'no-such-dir';
    const text = JSON.stringify(raw);
    fs.writeFileSync(t.file, text);
    // the pack is one line: the column is where the value starts
    const column = text.indexOf('"no-such-dir"') + 1;
    assert.throws(() => loadPack(t.file), (e: unknown) =>
      e instanceof PackError && e.file === t.file && e.key === 'rules[0].examples' && e.reason === 'no such directory: no-such-dir' &&
      e.at?.line === 1 && e.at.column === column);
    for (const action of ['test', 'list']) {
      const r = cli(['rules', action, '--rules', t.file], t.dir);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `callorder: ${t.file}:1:${column}: rules[0].examples: no such directory: no-such-dir\n`);
    }
    raw.rules[0].examples = '';
    const empty = JSON.stringify(raw);
    fs.writeFileSync(t.file, empty);
    assert.equal(cli(['rules', 'test', '--rules', t.file], t.dir).stderr,
      `callorder: ${t.file}:1:${empty.indexOf('"examples":""') + '"examples":'.length + 1}: rules[0].examples: must not be empty\n`);
  } finally {
    fs.rmSync(t.dir, { recursive: true, force: true });
  }
});

test('rules list: one line a rule with id, kind, confidence, seeds, entries and a short description', () => {
  const r = cli(['rules', 'list']);
  assert.equal(r.status, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, pack.rules.length);
  assert.match(lines[0], /^cpuid-state-before-read +init-before-read +high +seed 000 +kvm_arch_vcpu_create +vCPUs are zero-allocated; /);
  assert.ok(lines.some((l) => /^reset-clears-control-regs +reset-complete +high +seed 002 +kvm_vcpu_reset\(init_event=false\), kvm_vcpu_reset\(init_event=true\) /.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^xen-long-mode-reinit +must-follow +medium +seed 003 +\(every function that makes the change\) /.test(l)), r.stdout);
  const j = JSON.parse(cli(['rules', 'list', '--format', 'json']).stdout);
  assert.deepEqual(j.map((x: { id: string }) => x.id), pack.rules.map((x) => x.id));
  assert.deepEqual(j.find((x: { id: string }) => x.id === 'reset-clears-control-regs'), {
    id: 'reset-clears-control-regs', kind: 'reset-complete', confidence: 'high', seed: ['002'],
    entries: ['kvm_vcpu_reset(init_event=false)', 'kvm_vcpu_reset(init_event=true)'],
    description: pack.rules.find((x) => x.id === 'reset-clears-control-regs')!.description,
    file: 'rules/kvm-x86.yaml',
    examples: 'fixtures/kvm-x86/reset-clears-control-regs',
  });
});

test('rules test: a kind-level fixture pack runs through the same command', () => {
  const r = cli(['rules', 'test', '--rules', 'fixtures/rules/guarded/pack.json']);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^ok widget-config-after-run valid-early-return$/m);
});

test('cases: each case\'s files with the shared headers', () => {
  const { cases } = casesIn(path.join(ROOT, 'fixtures', 'kvm-x86', 'vmcs-access-before-load'));
  assert.deepEqual(cases.map((c) => [c.name, c.valid, c.files]), [
    ['invalid-after-put', false, ['invalid-after-put.c', 'kvm_host.h', 'vendors.h']],
    ['invalid-set-cpuid-moved-up', false, ['invalid-set-cpuid-moved-up.c', 'kvm_host.h', 'vendors.h']],
    ['valid-postcreate-loaded', true, ['kvm_host.h', 'valid-postcreate-loaded.c', 'vendors.h']],
    ['valid-set-cpuid-after-load', true, ['kvm_host.h', 'valid-set-cpuid-after-load.c', 'vendors.h']],
  ]);
});

test('cases: an .expected with CRLF and no final newline reads as check\'s text; stray files are problems', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cases-'));
  try {
    fs.writeFileSync(path.join(dir, 'invalid-a.c'), '');
    fs.writeFileSync(path.join(dir, 'invalid-a.expected'), 'one\r\n    two  ');
    fs.writeFileSync(path.join(dir, 'invalid-b.expected'), 'x\n');
    fs.writeFileSync(path.join(dir, 'invalid-c.h'), '');
    const r = casesIn(dir);
    assert.deepEqual(r.cases.map((c) => [c.name, c.expected]), [['invalid-a', 'one\n    two\n']]);
    assert.deepEqual(r.problems, ['invalid-b: no invalid-b.c', 'invalid-c: no invalid-c.c']);
    fs.rmSync(path.join(dir, 'invalid-a.c'));
    assert.deepEqual(casesIn(dir).problems.slice(-1), ['no valid-*.c or invalid-*.c case']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('diffExcerpt: expected lines with -, reported with +, context around, long runs cut', () => {
  assert.deepEqual(diffExcerpt('a\nb\nc\n', 'a\nB\nc\n'), ['  a', '- b', '+ B', '  c']);
  assert.deepEqual(diffExcerpt('', 'x\n'), ['+ x']);
  const many = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
  const d = diffExcerpt(`${many}\n`, `${many.replace('line 20', 'changed')}\n`);
  assert.deepEqual(d, ['  ...', '  line 18', '  line 19', '- line 20', '+ changed', '  line 21', '  line 22', '  ...']);
  assert.equal(diffExcerpt('', Array.from({ length: 30 }, (_, i) => `${i}`).join('\n'), 5).length, 6);
});
