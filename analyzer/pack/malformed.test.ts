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
  {
    name: 'entry function that does not exist',
    file: 'entry.json',
    text: pack([rule(), rule({ id: 'second', entries: ['demo_entry', 'no_such_function'] })]),
    expect: /^rules\[1\]\.entries\[1\]: no_such_function is not defined in the analysed files \(rule second; mark it "optional": true if only some trees have it\)$/,
    at: '"no_such_function"',
  },
  { name: 'extends a pack that is not there', file: 'ext.json', text: pack([rule()], { extends: [KERNEL_C, 'nowhere.json'] }), expect: /^extends\[1\]: no such pack: nowhere\.json$/, at: '"nowhere.json"' },
  { name: 'a bad regular expression', file: 're.json', text: pack([rule()], { frontend: { iteratorPatterns: ['for_each_(('] } }), expect: /^frontend\.iteratorPatterns\[0\]: not a valid regular expression/, at: '"for_each_(("' },
  { name: 'a duplicate rule id', file: 'dup-id.json', text: pack([rule(), rule()]), expect: /^rules\[1\]\.id: duplicate rule id demo-rule$/, at: '"demo-rule"', after: '"entries"' },
  { name: 'bad YAML (indentation)', file: 'bad.yaml', text: 'name: demo\nrules:\n  - id: x\n   kind: guarded\n', expect: /^not valid YAML at line \d+, column \d+: / },
  { name: 'YAML with a duplicate key', file: 'dup.yml', text: 'name: demo\nname: other\n', expect: /^not valid YAML at line 2, column 1: Map keys must be unique$/ },
  { name: 'YAML with an unknown tag', file: 'tag.yaml', text: 'name: !!js/function demo\n', expect: /^not valid YAML at line 1, column 7: / },
  { name: 'YAML alias', file: 'alias.yaml', text: 'name: demo\nfiles:\n  include: &a [x]\n  exclude: *a\n', expect: /^not valid as a pack at line 4: YAML aliases \(\*name\) are not allowed in packs$/ },
  { name: 'YAML wrong type', file: 'type.yaml', text: `extends: [${JSON.stringify(KERNEL_C)}]\nrules:\n  - id: demo-rule\n    kind: init-before-read\n    message: m\n    confidence: high\n    fields: demo.ready\n`, expect: /^rules\[0\]\.fields: expected array, found string$/, at: 'demo.ready' },
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

test('an entry missing from the files: an error for the pack\'s own files, a note when optional, when --include chose the files, or when no entry of the pack is there', (t) => {
  const { tree, dir } = setup(t);
  const file = path.join(dir, 'entries.json');
  const note = /^entry no_such_function: not defined in the analysed files$/m;
  fs.writeFileSync(file, pack([rule({ entries: ['demo_entry', { function: 'no_such_function', optional: true }] })]));
  const optional = run(['check', tree, '--rules', file]);
  assert.equal(optional.code, 1, optional.stderr);
  assert.match(optional.stderr, note);
  assert.match(optional.stdout, /demo\.ready read before it is set/);

  fs.writeFileSync(file, pack([rule({ entries: ['demo_entry', 'no_such_function'] })]));
  refused(run(['check', tree, '--rules', file]), file, /^rules\[0\]\.entries\[1\]: no_such_function is not defined/, at(fs.readFileSync(file, 'utf8'), '"no_such_function"'));
  const chosen = run(['check', tree, '--rules', file, '--include', 'arch/x86/kvm/*.c']);
  assert.equal(chosen.code, 1, chosen.stderr);
  assert.match(chosen.stderr, note);
  // a tree the pack is not about at all (none of its entries): notes, as for a fixture tree
  fs.writeFileSync(file, pack([rule({ entries: ['no_such_function'] })]));
  const foreign = run(['check', tree, '--rules', file]);
  assert.equal(foreign.code, 0, foreign.stderr);
  assert.match(foreign.stderr, note);
  // a rule left out with --entry is not checked
  fs.writeFileSync(file, pack([rule(), rule({ id: 'second', entries: ['no_such_function'] })]));
  assert.equal(run(['check', tree, '--rules', file, '--entry', 'demo-rule']).code, 1);
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
