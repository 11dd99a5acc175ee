// Entries by role on fixtures/program/roles: `rules list --tree` prints each
// rule's entries with the role expanded to what the dispatchers' cases call
// first (exact lists, text and JSON), and `check` runs the rules from them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');
const TREE = path.join(ROOT, 'fixtures', 'program', 'roles');
const PACK = path.join(TREE, 'pack.yaml');

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TREE, encoding: 'utf8', timeout: 60000, env: { ...process.env, CALLORDER_NO_SERVER: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// demo_lock is the role's except, copy_from_user only declared, the ops call
// not followed, demo_after called after its case's handler, DEMO_NOP calls
// nothing; demo_arch_ioctl (default case) is walked, both sides of its #ifdef
const HANDLERS = ['demo_arch_a', 'demo_arch_b', 'demo_get', 'demo_helper', 'demo_run', 'demo_set'];

test('rules list --tree: the role expanded, sorted; entries named as written keep their place, once', () => {
  const r = run(['rules', 'list', '--rules', PACK, '--tree', '.']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, [
    ...HANDLERS.map((h) => `demo-reg-before-load  ${h}`),
    'demo-named-and-role   demo_run',
    ...HANDLERS.filter((h) => h !== 'demo_run').map((h) => `demo-named-and-role   ${h}`),
    'demo-named-and-role   demo_gone  (not defined in the analysed files)',
    '',
  ].join('\n'));
});

test('rules list --tree --format json', () => {
  const r = run(['rules', 'list', '--rules', PACK, '--tree', '.', '--format', 'json']);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.stdout), [
    { id: 'demo-reg-before-load', entries: HANDLERS, missing: [] },
    { id: 'demo-named-and-role', entries: ['demo_run', ...HANDLERS.filter((h) => h !== 'demo_run'), 'demo_gone'], missing: ['demo_gone'] },
  ]);
});

test('rules list without a tree names the role as written', () => {
  const r = run(['rules', 'list', '--rules', PACK]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^demo-reg-before-load +requires-before +high +seed - +role demo-ioctl +hw_read32/m);
  assert.match(r.stdout, /^demo-named-and-role +requires-before +high +seed - +demo_run, role demo-ioctl, demo_gone +the same/m);
});

test('check runs each rule from the role\'s handlers, each from its dispatcher\'s case: demo_set writes with nothing loaded, the others load first', () => {
  const r = run(['check', '.', '--rules', PACK, '--no-cache']);
  assert.equal(r.code, 1);
  const finding = (id: string) => [
    `ioctl.c:39:2: demo_set(): warning: hw_write32() touches registers outside a loaded vCPU on the path from demo_set (via demo_vcpu_ioctl) [${id}]`,
    '    demo_vcpu_ioctl() ioctl.c:102: calls demo_set()',
    '    → demo_set() ioctl.c:39: calls hw_write32() before demo_load',
  ];
  assert.equal(r.stdout, [...finding('demo-named-and-role'), ...finding('demo-reg-before-load'), ''].join('\n'));
  // the one entry named and missing is a note; the role's entries are the tree's own and never missing
  assert.equal(r.stderr, `${PACK}: rules[1].entries[2]: demo_gone is not defined in the analysed files; rule demo-named-and-role runs from its other entries and its roles' (mark it "optional": true if only some trees have it)\n`);
});

test('a role that finds nothing is a note naming the key and the rule, and the other rules run', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-roles-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'gone.yaml');
  fs.writeFileSync(file, [
    `extends: [ ${JSON.stringify(PACK)} ]`,
    'roles:',
    '  gone-ioctl: { dispatch: [ demo_gone_ioctl, demo_vm_ioctl ] }',
    '  no-switch: { dispatch: [ demo_helper ] }',
    'rules:',
    '  - { id: by-gone, kind: requires-before, message: m, confidence: high, operations: [ "hw_*" ], acquire: [ demo_load ], entries: [ {role: gone-ioctl}, {role: no-switch} ] }',
    '',
  ].join('\n'));
  const r = run(['check', '.', '--rules', file, '--no-cache', '--entry', 'by-gone', '--entry', 'demo-reg-before-load']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ioctl\.c:39:2: demo_set\(\): warning: .* \[demo-reg-before-load\]$/m);
  assert.doesNotMatch(r.stdout, /\[by-gone\]/);
  assert.equal(r.stderr, [
    `${file}: rules[0].entries[0].role: role gone-ioctl finds no entry: demo_gone_ioctl, demo_vm_ioctl are not defined in the analysed files; rule by-gone does not run from it`,
    `${file}: rules[0].entries[1].role: role no-switch finds no entry: no case of its dispatchers calls a function the analysed files define; rule by-gone does not run from it`,
    '',
  ].join('\n'));
});
