// Malformed rule packs through the CLI (`callorder check TREE --rules PACK`):
// each stops with exit 2 and exactly one line, `callorder: FILE:LINE:COLUMN:
// KEY: REASON`, the position of the key at fault (no key and no position for a
// file that does not parse: its reason says the line and column), never a
// stack trace. A YAML pack that is well formed works like its JSON twin.
// malformed-kinds.test.ts makes the cases of each rule kind from its schema.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');
const KERNEL_C = path.join(ROOT, 'rules', 'kernel-c.json');

interface Run { code: number | null; stdout: string; stderr: string }
function run(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// a tree with one function that reads a field before anything writes it
const TREE_FILES: Record<string, string> = {
  'arch/x86/kvm/demo.c': [
    'struct demo { int ready; };',
    'int demo_read(struct demo *d)',
    '{',
    '\treturn d->ready;',
    '}',
    'int demo_entry(struct demo *d)',
    '{',
    '\treturn demo_read(d);',
    '}',
    '',
  ].join('\n'),
};

function rule(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'demo-rule', kind: 'init-before-read', message: '{field} read before it is set', confidence: 'high',
    fields: ['demo.ready'], entries: ['demo_entry'], fresh: ['demo'], ...extra,
  };
}

function pack(rules: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: 'demo', extends: [KERNEL_C], files: { include: ['arch/x86/kvm/**/*.c'] }, rules, ...extra }, null, 2);
}

function setup(t: { after: (f: () => void) => void }): { tree: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-pack-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tree = path.join(dir, 'tree');
  for (const [rel, text] of Object.entries(TREE_FILES)) {
    fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
    fs.writeFileSync(path.join(tree, rel), text);
  }
  return { tree, dir };
}

/** line:column, from 1, where `needle` first occurs in `text` (after `after` when given) */
function at(text: string, needle: string, after = ''): string {
  const i = text.indexOf(needle, after ? text.indexOf(after) : 0);
  assert.ok(i >= 0, needle);
  const before = text.slice(0, i);
  return `${before.split('\n').length}:${i - before.lastIndexOf('\n')}`;
}

/** exit 2, nothing on stdout, one line on stderr matching `callorder: FILE[:POSITION]: rest`, no stack trace */
function refused(r: Run, file: string, rest: RegExp, position = ''): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.stderr.split('\n').filter((l) => /^\s+at /.test(l)), [], r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  const prefix = `callorder: ${file}${position ? `:${position}` : ''}: `;
  assert.ok(lines[0].startsWith(prefix), `expected ${prefix}..., got ${lines[0]}`);
  assert.match(lines[0].slice(prefix.length), rest);
}

// `at`: the needle whose first character the error must point at (after `after`)
const CASES: { name: string; file: string; text: string; expect: RegExp; at?: string; after?: string }[] = [
  {
    name: 'bad JSON (a trailing comma)',
    file: 'bad.json',
    text: '{\n  "name": "demo",\n  "rules": [],\n}\n',
    expect: /^not valid JSON at line 4, column 1: expected a key in double quotes, found '\}'$/,
  },
  {
    name: 'bad JSON (cut short)',
    file: 'short.json',
    text: pack([rule()]).slice(0, 80),
    expect: /^not valid JSON at line \d+, column \d+: /,
  },
  { name: 'unknown rule kind', file: 'kind.json', text: pack([rule({ kind: 'made-up' })]), expect: /^rules\[0\]\.kind: must be one of "init-before-read", .*found "made-up"$/, at: '"made-up"' },
  { name: 'missing field', file: 'missing.json', text: pack([(({ message: _m, ...r }) => r)(rule())]), expect: /^rules\[0\]\.message: is required$/, at: '{', after: '"rules"' },
  { name: 'wrong type', file: 'type.json', text: pack([rule({ fields: 'demo.ready' })]), expect: /^rules\[0\]\.fields: expected array, found string$/, at: '"demo.ready"' },
  { name: 'unknown key', file: 'key.json', text: pack([rule({ entrys: ['demo_entry'] })]), expect: /^rules\[0\]\.entrys: is not a key of init-before-read rules$/, at: '"entrys"' },
  { name: 'unknown key of an entry', file: 'entry-key.json', text: pack([rule({ entries: [{ function: 'demo_entry', arg: {} }] })]), expect: /^rules\[0\]\.entries\[0\]\.arg: is not a known key$/, at: '"arg"' },
  { name: 'extends a pack that is not there', file: 'ext.json', text: pack([rule()], { extends: [KERNEL_C, 'nowhere.json'] }), expect: /^extends\[1\]: no such pack: nowhere\.json$/, at: '"nowhere.json"' },
  { name: 'a bad regular expression', file: 're.json', text: pack([rule()], { frontend: { iteratorPatterns: ['for_each_(('] } }), expect: /^frontend\.iteratorPatterns\[0\]: not a valid regular expression/, at: '"for_each_(("' },
  { name: 'a duplicate rule id', file: 'dup-id.json', text: pack([rule(), rule()]), expect: /^rules\[1\]\.id: duplicate rule id demo-rule$/, at: '"demo-rule"', after: '"entries"' },
  { name: 'bad YAML (indentation)', file: 'bad.yaml', text: 'name: demo\nrules:\n  - id: x\n   kind: guarded\n', expect: /^not valid YAML at line \d+, column \d+: / },
  { name: 'YAML with a duplicate key', file: 'dup.yml', text: 'name: demo\nname: other\n', expect: /^not valid YAML at line 2, column 1: Map keys must be unique$/ },
  { name: 'YAML with an unknown tag', file: 'tag.yaml', text: 'name: !!js/function demo\n', expect: /^not valid YAML at line 1, column 7: / },
  { name: 'YAML alias inside the node it names', file: 'alias.yaml', text: 'name: demo\nfiles:\n  include: &a [x, *a]\n', expect: /^not valid as a pack at line 3: alias \*a is inside the node it names$/ },
  { name: 'a set that is not there', file: 'no-set.json', text: pack([rule({ fresh: ['@nope'] })]), expect: /^rules\[0\]\.fresh\[0\]: no set named nope \(the pack has no sets\)$/, at: '"@nope"' },
  { name: 'a set misspelt', file: 'set-typo.json', text: pack([rule({ fresh: ['@structs'] })], { sets: { struct: ['demo'], entry: ['demo_entry'] } }), expect: /^rules\[0\]\.fresh\[0\]: no set named structs \(the sets: entry, struct\)$/, at: '"@structs"' },
  { name: 'sets that splice each other', file: 'set-cycle.json', text: pack([rule({ fresh: ['@a'] })], { sets: { a: ['demo', '@b'], b: ['@a'] } }), expect: /^sets\.b\[0\]: set a splices itself: a -> b -> a$/, at: '"@a"', after: '"b"' },
  // the schema checks the rule as spliced, and names the item where it was written: in the set
  { name: 'a wrong type from a set', file: 'set-type.json', text: pack([rule({ fresh: ['demo', '@s'] })], { sets: { s: [7] } }), expect: /^sets\.s\[0\]: expected string, found integer$/, at: '7', after: '"sets"' },
  { name: 'a YAML set with a wrong type', file: 'set-type.yaml', text: `sets:\n  s: [demo, {x: 1}]\nextends: [${JSON.stringify(KERNEL_C)}]\nrules:\n  - id: demo-rule\n    kind: init-before-read\n    message: m\n    confidence: high\n    fields: [demo.ready]\n    entries: [demo_entry]\n    fresh: ['@s']\n`, expect: /^sets\.s\[1\]: expected string, found object$/, at: '{x: 1}' },
  { name: 'YAML wrong type', file: 'type.yaml', text: `extends: [${JSON.stringify(KERNEL_C)}]\nrules:\n  - id: demo-rule\n    kind: init-before-read\n    message: m\n    confidence: high\n    fields: demo.ready\n`, expect: /^rules\[0\]\.fields: expected array, found string$/, at: 'demo.ready' },
  // entries by role: the role must be defined at top level, with dispatchers
  { name: 'a role that is not there', file: 'no-role.json', text: pack([rule({ entries: [{ role: 'ioctl' }] })]), expect: /^rules\[0\]\.entries\[0\]\.role: no role named ioctl \(the pack has no roles\)$/, at: '"ioctl"' },
  { name: 'a role misspelt', file: 'role-typo.json', text: pack([rule({ entries: ['demo_entry', { role: 'vcpu-ioctls' }] })], { roles: { 'vcpu-ioctl': { dispatch: ['demo_entry'] }, 'vm-ioctl': { dispatch: ['demo_entry'] } } }), expect: /^rules\[0\]\.entries\[1\]\.role: no role named vcpu-ioctls \(the roles: vcpu-ioctl, vm-ioctl\)$/, at: '"vcpu-ioctls"' },
  { name: 'a role with no dispatcher', file: 'role-empty.json', text: pack([rule()], { roles: { ioctl: { dispatch: [] } } }), expect: /^roles\.ioctl\.dispatch: needs at least 1 item\(s\)$/, at: '[]' },
  { name: 'a role without dispatch', file: 'role-nodispatch.json', text: pack([rule()], { roles: { ioctl: { except: ['demo_read'] } } }), expect: /^roles\.ioctl\.dispatch: is required$/, at: '{', after: '"ioctl"' },
  { name: 'a role with an unknown key', file: 'role-key.json', text: pack([rule()], { roles: { ioctl: { dispatch: ['demo_entry'], dispatchers: ['x'] } } }), expect: /^roles\.ioctl\.dispatchers: is not a known key$/, at: '"dispatchers"' },
  { name: 'a role named against the pattern', file: 'role-name.json', text: pack([rule()], { roles: { Ioctl: { dispatch: ['demo_entry'] } } }), expect: /^roles\.Ioctl: "Ioctl" is not a name: does not match \^\[a-z\]\[a-z0-9-\]\*\$$/, at: '"Ioctl"' },
  { name: 'a role entry with another key', file: 'role-entry-key.json', text: pack([rule({ entries: [{ role: 'ioctl', optional: true }] })], { roles: { ioctl: { dispatch: ['demo_entry'] } } }), expect: /^rules\[0\]\.entries\[0\]\.optional: is not a known key$/, at: '"optional"' },
  { name: 'a dispatcher that is not a name', file: 'role-ident.yaml', text: `extends: [${JSON.stringify(KERNEL_C)}]\nroles:\n  ioctl:\n    dispatch: [ "demo entry" ]\nrules: []\n`, expect: /^roles\.ioctl\.dispatch\[0\]: /, at: '"demo entry"' },
  { name: 'YAML missing key', file: 'missing.yaml', text: 'rules:\n  - id: demo-rule\n    kind: must-follow\n    message: m\n    confidence: high\n    follow: [demo_refresh]\n', expect: /^rules\[0\]\.trigger: is required$/, at: 'id: demo-rule' },
];

for (const c of CASES) {
  test(`a malformed pack: ${c.name}`, (t) => {
    const { tree, dir } = setup(t);
    const file = path.join(dir, c.file);
    fs.writeFileSync(file, c.text);
    refused(run(['check', tree, '--rules', file]), file, c.expect, c.at ? at(c.text, c.at, c.after) : '');
  });
}

test('a malformed pack: a pack that is not there', (t) => {
  const { tree, dir } = setup(t);
  const file = path.join(dir, 'none.json');
  refused(run(['check', tree, '--rules', file]), file, /^cannot read: ENOENT$/);
});

test('a malformed pack: extends cycle, reported at the key that closes it', (t) => {
  const { tree, dir } = setup(t);
  const a = path.join(dir, 'a.json');
  const b = path.join(dir, 'b.json');
  fs.writeFileSync(a, pack([rule()], { extends: [KERNEL_C, 'b.json'] }));
  fs.writeFileSync(b, JSON.stringify({ name: 'b', extends: ['a.json'] }));
  refused(run(['check', tree, '--rules', a]), b, /^extends\[0\]: cycle: a\.json -> b\.json -> a\.json$/, '1:24');
  // a pack that extends itself
  const self = path.join(dir, 'self.json');
  fs.writeFileSync(self, JSON.stringify({ name: 'self', extends: ['self.json'] }));
  refused(run(['check', tree, '--rules', self]), self, /^extends\[0\]: cycle: self\.json -> self\.json$/, '1:27');
});

// issue 19.5: one missing entry stopped every rule (exit 2, no finding at all); a bot on a moving tree checked nothing
test('an entry missing from the files: a note naming the rule and key, and every other rule runs', (t) => {
  const { tree, dir } = setup(t);
  const file = path.join(dir, 'entries.json');
  const plain = /^entry no_such_function: not defined in the analysed files$/m;
  fs.writeFileSync(file, pack([rule({ entries: ['demo_entry', { function: 'no_such_function', optional: true }] })]));
  const optional = run(['check', tree, '--rules', file]);
  assert.equal(optional.code, 1, optional.stderr);
  assert.match(optional.stderr, plain);
  assert.match(optional.stdout, /demo\.ready read before it is set/);

  // a rule whose every entry is missing is skipped, the others run and find what they find
  fs.writeFileSync(file, pack([rule({ id: 'second', entries: ['no_such_function'] }), rule()]));
  const skipped = run(['check', tree, '--rules', file]);
  assert.equal(skipped.code, 1, skipped.stderr);
  assert.match(skipped.stdout, /demo\.ready read before it is set \[demo-rule\]/);
  assert.equal(skipped.stderr, `${file}: rules[0].entries[0]: no_such_function is not defined in the analysed files; rule second is skipped, ` +
    'none of its entries is defined (mark it "optional": true if only some trees have it)\n');
  // a rule some of whose entries are missing runs from the others
  fs.writeFileSync(file, pack([rule({ entries: ['demo_entry', 'no_such_function'] })]));
  const partly = run(['check', tree, '--rules', file, '--format', 'json']);
  assert.equal(partly.code, 1, partly.stderr);
  const j = JSON.parse(partly.stdout) as { findings: unknown[]; stats: { notes: string[] } };
  assert.equal(j.findings.length, 1);
  assert.deepEqual(j.stats.notes, [`${file}: rules[0].entries[1]: no_such_function is not defined in the analysed files; rule demo-rule runs from its other entry (mark it "optional": true if only some trees have it)`]);
  // a tree none of whose functions the pack names: every rule noted, nothing found, and said so
  fs.writeFileSync(file, pack([rule({ entries: ['no_such_function'] })]));
  const foreign = run(['check', tree, '--rules', file]);
  assert.equal(foreign.code, 0, foreign.stderr);
  assert.match(foreign.stderr, /rules\[0\]\.entries\[0\]: no_such_function is not defined.*rule demo-rule is skipped/);
  // a rule left out with --entry is not checked, nor noted
  fs.writeFileSync(file, pack([rule(), rule({ id: 'second', entries: ['no_such_function'] })]));
  const only = run(['check', tree, '--rules', file, '--entry', 'demo-rule']);
  assert.equal(only.code, 1);
  assert.equal(only.stderr, '');
});

// issue 19.7: an empty directory, or a tree with none of the pack's files, exited 0 as if clean
test('a tree with none of the pack\'s files: exit 2 and one line saying so, for check and review', (t) => {
  const { tree, dir } = setup(t);
  const file = path.join(dir, 'p.json');
  fs.writeFileSync(file, pack([rule()]));
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const elsewhere = path.join(dir, 'drivers');
  fs.mkdirSync(path.join(elsewhere, 'net'), { recursive: true });
  fs.writeFileSync(path.join(elsewhere, 'net', 'x.c'), TREE_FILES['arch/x86/kvm/demo.c']);
  for (const d of [empty, elsewhere]) {
    const r = run(['check', d, '--rules', file]);
    refused(r, d, /^none of the files the pack demo is about is analysed here \(arch\/x86\/kvm\/\*\*\/\*\.c\): not a tree it can check$/);
  }
  // files chosen with --include that are none of the pack's: the same
  refused(run(['check', tree, '--rules', file, '--include', 'lib/**/*.c']), tree, /^none of the files the pack demo is about/);
  const mbox = path.join(dir, 'p.mbox');
  fs.writeFileSync(mbox, 'From 1 Mon Sep 17 00:00:00 2001\nFrom: a <a@b.org>\nSubject: [PATCH] x\n\n---\n--- /dev/null\n+++ b/x.c\n@@ -0,0 +1 @@\n+int x;\n');
  const rv = run(['review', mbox, '--tree', empty, '--rules', file, '--format', 'json']);
  assert.equal(rv.code, 2, rv.stderr);
  assert.match(rv.stderr, /^callorder: .*empty: none of the files the pack demo is about is analysed here/);
});

// issue 19.7: --include that left out the pack's headers changed the findings without a word
test('--include that leaves out some of the pack\'s own files says so', (t) => {
  const { tree, dir } = setup(t);
  const file = path.join(dir, 'p.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(pack([rule()])), files: { include: ['arch/x86/kvm/**/*.c', 'arch/x86/kvm/**/*.h'] } }));
  fs.writeFileSync(path.join(tree, 'arch/x86/kvm/demo.h'), 'struct other { int x; };\n');
  const narrowed = run(['check', tree, '--rules', file, '--include', 'arch/x86/kvm/**/*.c', '--format', 'json']);
  assert.equal(narrowed.code, 1, narrowed.stderr);
  assert.deepEqual((JSON.parse(narrowed.stdout) as { stats: { notes: string[] } }).stats.notes,
    ['--include leaves out 1 of the pack\'s own file (arch/x86/kvm/demo.h): the rules run without them, and their findings may differ from a check of the pack\'s files']);
  const whole = run(['check', tree, '--rules', file, '--include', 'arch/**', '--format', 'json']);
  assert.deepEqual((JSON.parse(whole.stdout) as { stats: { notes: string[] } }).stats.notes, []);
});

// issue 19.5 and 19.7: a commit or a patch that removes an entry left its rule idle in silence
test('the hook and review note a change that removes an entry, naming the rule and key', (t) => {
  const { tree, dir } = setup(t);
  const file = path.join(dir, 'p.json');
  fs.writeFileSync(file, pack([rule({ entries: ['demo_entry', 'demo_other'] })]));
  const demo = path.join(tree, 'arch/x86/kvm/demo.c');
  fs.appendFileSync(demo, 'int demo_other(void)\n{\n\treturn 0;\n}\n');
  const env = { ...process.env, CALLORDER_NO_SERVER: '1', GIT_CONFIG_NOSYSTEM: '1', HOME: dir, CALLORDER_ANALYSIS_CACHE: path.join(dir, 'cache'),
    GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org' };
  const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: tree, env, encoding: 'utf8' });
  sh('git', ['init', '-q', '-b', 'master']);
  sh('git', ['add', '-A']);
  sh('git', ['commit', '-qm', 'base']);
  fs.writeFileSync(demo, fs.readFileSync(demo, 'utf8').replace('int demo_other(void)', 'int demo_renamed(void)'));
  sh('git', ['add', '-A']);
  const hook = sh(process.execPath, [CLI, 'hook', 'run', '--rules', file]);
  assert.equal(hook.status, 0, hook.stderr);
  assert.equal(hook.stderr, `callorder: the staged change removes demo_other: ${file}: rules[0].entries[1]: demo_other is not defined in the analysed files; ` +
    'rule demo-rule runs from its other entry (mark it "optional": true if only some trees have it)\n');
  // review: a patch deleting the whole file, every entry with it
  sh('git', ['reset', '-q', '--hard']);
  const diff = sh('git', ['diff', '--cached', '--no-color', 'HEAD']);
  assert.equal(diff.stdout, '');
  const lines = fs.readFileSync(demo, 'utf8').split('\n');
  lines.pop();
  const mbox = path.join(dir, 'del.mbox');
  fs.writeFileSync(mbox, ['From 1 Mon Sep 17 00:00:00 2001', 'From: a <a@b.org>', 'Date: Mon, 6 Jan 2025 10:00:00 +0000', 'Subject: [PATCH] drop demo', '', '---',
    'diff --git a/arch/x86/kvm/demo.c b/arch/x86/kvm/demo.c', 'deleted file mode 100644', '--- a/arch/x86/kvm/demo.c', '+++ /dev/null',
    `@@ -1,${lines.length} +0,0 @@`, ...lines.map((l) => `-${l}`), ''].join('\n'));
  const rv = spawnSync(process.execPath, [CLI, 'review', mbox, '--tree', tree, '--rules', file], { env, encoding: 'utf8' });
  assert.equal(rv.status, 0, rv.stderr);
  assert.match(rv.stdout, /found no new warnings in this patch\.\n\nNotes:\nthis patch removes demo_entry: .*rule demo-rule is skipped, none of its entries is defined.*\nthis patch removes demo_other: /);
  assert.match(rv.stderr, /^callorder: \[PATCH 1\/1\] drop demo removes demo_entry: /m);
});

test('a YAML pack works like its JSON twin, and extends across formats', (t) => {
  const { tree, dir } = setup(t);
  const json = path.join(dir, 'twin.json');
  const yaml = path.join(dir, 'twin.yaml');
  fs.writeFileSync(json, pack([rule()]));
  fs.writeFileSync(yaml, [
    '# the same pack, in YAML',
    'name: demo',
    `extends: [${JSON.stringify(KERNEL_C)}]`,
    'files:',
    '  include: ["arch/x86/kvm/**/*.c"]',
    'rules:',
    '  - id: demo-rule',
    '    kind: init-before-read',
    "    message: '{field} read before it is set'",
    '    confidence: high',
    '    fields: [demo.ready]',
    '    entries: [demo_entry]',
    '    fresh: [demo]',
    '',
  ].join('\n'));
  const a = run(['check', tree, '--rules', json, '--format', 'json']);
  const b = run(['check', tree, '--rules', yaml, '--format', 'json']);
  assert.equal(a.code, 1, a.stderr);
  assert.equal(b.code, 1, b.stderr);
  const findings = (r: Run) => (JSON.parse(r.stdout) as { findings: unknown[] }).findings;
  assert.equal(findings(a).length, 1);
  assert.deepEqual(findings(b), findings(a));
  // a JSON pack extending the YAML one
  const child = path.join(dir, 'child.json');
  fs.writeFileSync(child, JSON.stringify({ name: 'child', extends: ['twin.yaml'] }));
  assert.deepEqual(findings(run(['check', tree, '--rules', child, '--format', 'json'])), findings(a));
});

// issue 18: a pack names a list once, as a set ("@name", JSON or YAML) or a YAML alias, and reads as the list written out
test('sets and YAML aliases: the findings of the lists written out, and a note names the set', (t) => {
  const { tree, dir } = setup(t);
  const plain = path.join(dir, 'plain.json');
  fs.writeFileSync(plain, pack([rule()]));
  const want = run(['check', tree, '--rules', plain]);
  assert.equal(want.code, 1, want.stderr);
  assert.match(want.stdout, /demo\.ready read before it is set/);
  const withSets = path.join(dir, 'sets.json');
  fs.writeFileSync(withSets, pack([rule({ fresh: ['@structs'], entries: ['@entries'] })], { sets: { structs: ['@inner'], inner: ['demo'], entries: ['demo_entry'] } }));
  const yaml = path.join(dir, 'aliases.yaml');
  fs.writeFileSync(yaml, [
    'name: demo',
    `extends: [${JSON.stringify(KERNEL_C)}]`,
    'files: {include: ["arch/x86/kvm/**/*.c"]}',
    'sets:',
    '  entries: &entries [demo_entry]',
    'rules:',
    '  - &rule',
    '    id: demo-rule',
    '    kind: init-before-read',
    "    message: '{field} read before it is set'",
    '    confidence: high',
    '    fields: [demo.ready]',
    "    entries: ['@entries']",
    '    fresh: &fresh [demo]',
    '  - <<: *rule',
    '    id: demo-rule-2',
    '    entries: *entries',
    '    fresh: *fresh',
    '',
  ].join('\n'));
  for (const p of [withSets, yaml]) {
    const r = run(['check', tree, '--rules', p]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '');
    if (p === yaml) assert.equal(r.stdout.split('\n').filter((l) => l.includes('[demo-rule-2]')).length, r.stdout.split('\n').filter((l) => l.includes('[demo-rule]')).length);
    else assert.equal(r.stdout, want.stdout);
  }
  // an entry a set puts into a rule is named where the set has it
  fs.writeFileSync(withSets, pack([rule({ entries: ['@entries'] })], { sets: { entries: ['demo_entry', 'no_such_function'] } }));
  const partly = run(['check', tree, '--rules', withSets, '--format', 'json']);
  assert.equal(partly.code, 1, partly.stderr);
  assert.deepEqual((JSON.parse(partly.stdout) as { stats: { notes: string[] } }).stats.notes,
    [`${withSets}: sets.entries[1]: no_such_function is not defined in the analysed files; rule demo-rule runs from its other entry (mark it "optional": true if only some trees have it)`]);
});
