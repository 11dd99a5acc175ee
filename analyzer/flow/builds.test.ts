// Builds and modes (flow/run.ts runsOf): a vendor table whose members
// differ by #if side runs once per build, and a pack's mode (a field fixed
// for an object's life) once per value, so a path that took the wrapper's
// secure side never continues on the plain side of another wrapper.
// fixtures/builds/: `silent` is correct and must stay so; `reported` drops
// one wrapper's test of the mode and must report that path, exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadPack } from '../pack/load';
import { loadTree } from '../driver/load-tree';
import { makeProgram } from '../program/callgraph';
import { buildsOf } from './run';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIR = path.join(ROOT, 'fixtures', 'builds');
const PACK = path.join(DIR, 'pack.json');
const CLI = path.join(ROOT, 'bin', 'callorder');

function check(dir: string, pack = PACK): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, 'check', path.join(DIR, dir), '--rules', pack, '--no-cache'], {
    encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1' },
  });
  return { status: r.status, stdout: r.stdout };
}

test('builds: one per assignment of the symbols a table member is set under', () => {
  const pack = loadPack(PACK);
  const p = makeProgram(loadTree(path.join(DIR, 'silent'), pack), pack);
  assert.deepEqual(buildsOf(p, ['demo_vt_ops']).map((b) => JSON.stringify([...b])), [
    '[["CONFIG_DEMO_SECURE",true]]',
    '[["CONFIG_DEMO_SECURE",false]]',
  ]);
  // a table none of whose members depends on a symbol is one build that assumes nothing
  assert.deepEqual(buildsOf(p, ['no_such_table']).map((b) => b.size), [0]);
});

test('builds and modes: the correct design is silent, and is not without the mode', () => {
  // silent also because the reset rule skips secure widgets (the mode's `skip`): their reset leaves mode_reg to the firmware
  assert.deepEqual(check('silent'), { status: 0, stdout: '' });
  // the same tree with the mode taken out of the pack: the secure reset and the plain set_mode meet on one path
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-builds-'));
  try {
    const raw = JSON.parse(fs.readFileSync(PACK, 'utf8'));
    delete raw.program.modes;
    raw.extends = [path.join(ROOT, 'rules', 'kernel-c.json')];
    raw.$schema = path.join(ROOT, 'rules', 'schema.json');
    const noModes = path.join(dir, 'pack.json');
    fs.writeFileSync(noModes, JSON.stringify(raw));
    const r = check('silent', noModes);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /plain_set_mode\(\): warning: demo_hw_read\(\) reads hardware state before demo_init_hw/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('builds and modes: a wrapper that forgets the mode is reported on the secure path, with its trace', () => {
  const r = check('reported');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, [
    'core.c:20:26: plain_set_mode(): warning: demo_hw_read() reads hardware state before demo_init_hw, on the path from demo_vcpu_create [demo-read-before-init]',
    '    demo_vcpu_create() core.c:60: calls demo_vcpu_reset()',
    '    → demo_vcpu_reset() core.c:55: calls vt_set_mode() via demo_vt_ops.set_mode',
    '    → vt_set_mode() core.c:39: calls plain_set_mode()',
    '    → plain_set_mode() core.c:20: calls demo_hw_read() before demo_init_hw',
    '',
  ].join('\n'));
});
