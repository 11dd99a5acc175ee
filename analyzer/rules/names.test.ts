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
function checkWith(kind: string, edit: (rule: Record<string, unknown>, pack: Record<string, any>) => void): { status: number | null; stderr: string; file: string } {
  const dir = path.join(ROOT, 'fixtures', 'rules', kind);
  const raw = JSON.parse(fs.readFileSync(path.join(dir, 'pack.json'), 'utf8'));
  delete raw.rules[0].examples;
  edit(raw.rules[0], raw);
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
    `${bad.file}: rules[0].fields[0]: widget.sise is not in the analysed files; rule widget-size-before-setup checks nothing through it\n`);
  // the pack as written names what the tree has: not a word
  assert.equal(checkWith('init-before-read', () => undefined).stderr, '');
  // a struct the tree does not have at all, in the reset kind
  assert.match(checkWith('reset-complete', (r) => { r.fields = ['no_such_struct.x']; }).stderr,
    /rules\[0\]\.fields\[0\]: no_such_struct\.x is not in the analysed files/);
});

test('names: each name of a list stands alone; the kind\'s alternative keys and forms count together', () => {
  // one misspelt field beside a right one: the rule checks nothing through that one
  const one = checkWith('init-before-read', (r) => { r.fields = ['widget.size', 'widget.sise']; });
  assert.equal(one.stderr,
    `${one.file}: rules[0].fields[1]: widget.sise is not in the analysed files; rule widget-size-before-setup checks nothing through it\n`);
  // must-follow: a deferral flag the tree lacks (6.x has none) is fine beside the immediate refresh's call
  assert.equal(checkWith('must-follow', (r) => { r.deferredBy = ['widget.no_such_flag']; }).stderr, '');
  // ...and the two together are noted once, as one group, when neither is there
  const both = checkWith('must-follow', (r) => { r.follow = ['widget_refresh_caps_'];  r.deferredBy = ['widget.no_such_flag']; });
  assert.equal(both.stderr,
    `${both.file}: rules[0].follow, deferredBy: none of widget_refresh_caps_, widget.no_such_flag is in the analysed files; rule widget-caps-after-mode checks nothing through it\n`);
  // an event list: the misspelt write is noted at its item, beside calls that may fire
  const ev = checkWith('guarded', (r) => { r.changes = [{ call: 'widget_apply_config' }, { write: 'widget.confgi' }]; });
  assert.equal(ev.stderr,
    `${ev.file}: rules[0].changes[1].write: widget.confgi is not in the analysed files; rule widget-config-after-run checks nothing through it\n`);
});

test('names: functions, operations, globs, enumerators and hooks are checked like fields', () => {
  // an operation glob that matches nothing, and an acquire that is not there
  const rb = checkWith('requires-before', (r) => { r.operations = ['hw_read*', 'hw_wirte*']; r.acquire = ['widget_laod', '*_hw_load']; });
  assert.equal(rb.stderr, [
    `${rb.file}: rules[0].operations[1]: hw_wirte* is not in the analysed files; rule widget-reg-before-load checks nothing through it`,
    `${rb.file}: rules[0].acquire[0]: widget_laod is not in the analysed files; rule widget-reg-before-load checks nothing through it`,
    ''].join('\n'));
  // an enumerator a condition must mention (used in the code, defined in an enum), and a hook to exempt
  const mf = checkWith('must-follow', (r) => { r.conditionMentions = ['WIDGET_MODE_FAST', 'WIDGET_MODE_SECUER']; r.exempt = ['widget_ops.cache_mdoe']; });
  assert.equal(mf.stderr, [
    `${mf.file}: rules[0].conditionMentions[1]: WIDGET_MODE_SECUER is not in the analysed files; rule widget-caps-after-mode checks nothing through it`,
    `${mf.file}: rules[0].exempt[0]: widget_ops.cache_mdoe is not in the analysed files; rule widget-caps-after-mode checks nothing through it`,
    ''].join('\n'));
  // a struct the entries allocate zeroed
  const fr = checkWith('requires-before', (r) => { r.fresh = ['widgte']; });
  assert.equal(fr.stderr,
    `${fr.file}: rules[0].fresh[0]: widgte is not in the analysed files; rule widget-reg-before-load checks nothing through it\n`);
  // a mark call
  const mw = checkWith('mark-without-write', (r) => { (r.marks as { call: string }[])[1].call = 'widget_mark_avial'; });
  assert.match(mw.stderr, /rules\[0\]\.marks\[1\]\.call: widget_mark_avial is not in the analysed files/);
});

test('names: forms of one thing (a guard\'s predicate, the registers\' names) are noted only when none is there', () => {
  // 7.2 has no kvm_vcpu_has_run(): the field test still guards
  assert.equal(checkWith('guarded', (r) => { (r.predicate as { call?: string }[])[0].call = 'widget_has_ran'; }).stderr, '');
  const none = checkWith('guarded', (r) => { r.predicate = [{ call: 'widget_has_ran' }, { field: 'widget.last_run_cup', op: '!=', value: -1 }]; });
  assert.equal(none.stderr,
    `${none.file}: rules[0].predicate: none of widget_has_ran, widget.last_run_cup is in the analysed files; rule widget-config-after-run checks nothing through it\n`);
  // one kernel's register names beside another's: silent
  assert.equal(checkWith('mark-without-write', (r) => { (r.registers as Record<string, string>).WREG_OLD_CTRL = 'widget.old_ctrl'; }).stderr, '');
  // a register the tree has, mapped to a field it does not have (7.2 moved the PDPTRs to kvm_vcpu_arch)
  const moved = checkWith('mark-without-write', (r) => { (r.registers as Record<string, string>).WREG_BASE = 'widget.bsae'; });
  assert.equal(moved.stderr,
    `${moved.file}: rules[0].registers.WREG_BASE: widget.bsae is not in the analysed files; rule widget-mark-without-write checks nothing through it\n`);
  // no register of the map is there
  const gone = checkWith('mark-without-write', (r) => { r.registers = { XREG_CTRL: 'widget.ctrl', XREG_BASE: 'widget.base' }; });
  assert.equal(gone.stderr,
    `${gone.file}: rules[0].registers: none of XREG_CTRL, XREG_BASE is in the analysed files; rule widget-mark-without-write checks nothing through it\n`);
});

test('names: the program\'s ops-call macros and table groups, and a role\'s exceptions', () => {
  const prog = checkWith('requires-before', (_r, pack) => {
    pack.program.opsCallMacros.push({ macro: 'widget_call', keyPrefix: '', struct: 'widget_opz' });
    pack.program.tableGroups = [['no_such_ops', 'nor_this_ops']];
  });
  assert.equal(prog.stderr, [
    `${prog.file}: program.opsCallMacros[1].struct: widget_opz is not in the analysed files; its ops calls resolve to nothing`,
    `${prog.file}: program.tableGroups[0]: none of no_such_ops, nor_this_ops is in the analysed files; no vendor table of this group is read`,
    ''].join('\n'));
  const role = checkWith('requires-before', (_r, pack) => { pack.roles = { 'widget-ioctl': { dispatch: ['widget_create'], except: ['widget_lcok'] } }; });
  assert.match(role.stderr, /roles\.widget-ioctl\.except\[0\]: widget_lcok is not in the analysed files; role widget-ioctl passes over nothing through it/);
});

test('names: a name a set puts into two rules is one note at the set\'s line, naming both', () => {
  const dir = path.join(ROOT, 'fixtures', 'rules', 'requires-before');
  const raw = JSON.parse(fs.readFileSync(path.join(dir, 'pack.json'), 'utf8'));
  const r = raw.rules[0];
  delete r.examples;
  r.operations = ['@ops'];
  const twin = { ...r, id: 'widget-reg-before-load-2' };
  const text = [
    `name: sets-names`,
    `extends: [ ${JSON.stringify(path.join(ROOT, 'rules', 'kernel-c.json'))} ]`,
    `files: { include: [ "**/*.c", "**/*.h" ] }`,
    `program: ${JSON.stringify(raw.program)}`,
    `sets:`,
    `  ops: [ "hw_read*", hw_wirte16 ]`,
    `rules: ${JSON.stringify([r, twin])}`,
    ''].join('\n');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-names-'));
  const file = path.join(tmp, 'pack.yaml');
  fs.writeFileSync(file, text);
  try {
    const res = spawnSync(process.execPath, [CLI, 'check', dir, '--rules', file, '--no-cache'], {
      encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1' },
    });
    assert.equal(res.stderr,
      `${file}: sets.ops[1]: hw_wirte16 is not in the analysed files; rules widget-reg-before-load, widget-reg-before-load-2 check nothing through it\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
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
