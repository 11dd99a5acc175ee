// Every field and function a rule names is checked against the tree
// (rules/names.ts): a misspelt one made the rule check nothing, silently.
// Through the CLI on the kind fixtures, each with a copy of its pack.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

/** check a kind's fixture directory with its pack changed by `edit`; stderr and the exit code. */
function checkWith(kind: string, edit: (rule: Record<string, unknown>) => void): { status: number | null; stderr: string; file: string } {
  const dir = path.join(ROOT, 'fixtures', 'rules', kind);
  const raw = JSON.parse(fs.readFileSync(path.join(dir, 'pack.json'), 'utf8'));
  delete raw.rules[0].examples;
  edit(raw.rules[0]);
  raw.extends = [path.join(ROOT, 'rules', 'kernel-c.json')];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-names-'));
  const file = path.join(tmp, 'pack.json');
  fs.writeFileSync(file, JSON.stringify(raw, null, 2));
  try {
    const r = spawnSync(process.execPath, [CLI, 'check', dir, '--rules', file, '--no-cache'], {
      encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1' },
    });
    return { status: r.status, stderr: r.stderr, file };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test('names: a misspelt field is a note naming the rule and the key; the run goes on', () => {
  const bad = checkWith('init-before-read', (r) => { r.fields = ['widget.sise']; });
  assert.equal(bad.status, 0);
  assert.equal(bad.stderr,
    `${bad.file}: rules[0].fields: widget.sise is not in the analysed files; rule widget-size-before-setup checks nothing through it\n`);
  // the pack as written names what the tree has: not a word
  assert.equal(checkWith('init-before-read', () => undefined).stderr, '');
  // a struct the tree does not have at all, in the reset kind
  assert.match(checkWith('reset-complete', (r) => { r.fields = ['no_such_struct.x']; }).stderr,
    /rules\[0\]\.fields: no_such_struct\.x is not in the analysed files/);
});

test('names: a key listing several forms is fine while one is there, and the kind\'s alternative keys count together', () => {
  // one of the two fields exists: the key still checks something
  assert.equal(checkWith('init-before-read', (r) => { r.fields = ['widget.size', 'widget.sise']; }).stderr, '');
  // must-follow: a deferral flag the tree lacks (6.x has none) is fine beside the immediate refresh's call
  assert.equal(checkWith('must-follow', (r) => { r.deferredBy = ['widget.no_such_flag']; }).stderr, '');
  // a field of an event list beside calls is not noted: the calls may fire
  assert.equal(checkWith('guarded', (r) => { r.changes = [{ call: 'widget_apply_config' }, { write: 'widget.confgi' }]; }).stderr, '');
});

test('names: a field is found in any definition of its struct (a whole kernel has one for every architecture)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-names-tree-'));
  try {
    const src = path.join(ROOT, 'fixtures', 'rules', 'init-before-read');
    fs.mkdirSync(path.join(dir, 'x86'), { recursive: true });
    for (const f of ['widget.h', 'invalid-some-paths.c']) fs.copyFileSync(path.join(src, f), path.join(dir, 'x86', f));
    // another architecture's struct of the same name, larger: the program keeps that one as "the" struct widget
    fs.mkdirSync(path.join(dir, 'arm64'));
    fs.writeFileSync(path.join(dir, 'arm64', 'widget.h'), 'struct widget { int a; int b; int c; int d; int e; int f; int g; int h; };\n');
    const pack = path.join(src, 'pack.json');
    const r = spawnSync(process.execPath, [CLI, 'check', dir, '--rules', pack, '--no-cache'], {
      encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1' },
    });
    assert.equal(r.stderr, '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
