// callorder infer on the widget fixtures (fixtures/infer/): a protocol nine of
// ten handlers follow is a belief and the tenth its deviant, with its path;
// one that half of them follow is no belief at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadPack, type Pack } from '../pack/load';
import { loadTree } from '../driver/load-tree';
import { makeProgram } from '../program/callgraph';
import { infer } from './infer';
import { renderInfer } from './render';
import { zScore, MIN_Z } from './stat';
import { runRules } from '../flow/run';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/infer');
const CLI = path.resolve(__dirname, '../../../bin/callorder');

function run(name: string, format: 'text' | 'json' | 'pack' = 'text'): string {
  const dir = path.join(FIXTURES, name);
  const pack = loadPack(path.join(dir, 'pack.json'));
  const p = makeProgram(loadTree(dir, pack), pack);
  return renderInfer(infer(p, pack, ['widget_ioctl']), format, 20);
}

/** The text fixture `name` must print (its expected.txt). */
function expected(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name, 'expected.txt'), 'utf8');
}

test('infer: 9 of 10 widget handlers lock before they read a register; the tenth is reported with its path', () => {
  assert.equal(run('follow-9'), expected('follow-9'));
});

test('infer: 5 of 10 is no belief, and nothing deviates', () => {
  const out = JSON.parse(run('follow-5', 'json'));
  assert.deepEqual(out.beliefs, []);
  assert.deepEqual(out.deviants, []);
});

test('infer: a precondition on 9 of 10 paths of one handler is no belief of the handlers (widget_lock before widget_hw_read in widget_run only)', () => {
  assert.equal(run('follow-one'), expected('follow-one'));
});

test('infer: a write site is one sample of must-follow however many handlers reach it; nine of ten sites followed by widget_apply() report the tenth', () => {
  assert.equal(run('follow-write'), expected('follow-write'));
});

test('infer: a deciding test before the widget model changes is one guard over the fields it guards; the handler without it is reported', () => {
  assert.equal(run('guard'), expected('guard'));
});

test('infer: a test of a helper that returns a constant on a path of its own (a static key first, as lapic_in_kernel()) is a test all the same; the handler without it is reported', () => {
  assert.equal(run('guard-branches'), expected('guard-branches'));
});

test('infer: a test in a dispatcher\'s case is that case\'s handler\'s guard; the case without it is reported, and the test of the frame\'s own copy (u.cfg) guards nothing', () => {
  assert.equal(run('guard-case'), expected('guard-case'));
});

test('infer: a callee two handlers reach in the same state counts for each of them: its guard is seen in both handlers, so it is a belief', () => {
  assert.equal(run('guard-shared'), expected('guard-shared'));
});

test('infer: a test both outcomes get past (w->verbose) guards nothing, and no field alone is a guard belief', () => {
  const out = JSON.parse(run('guard', 'json'));
  assert.deepEqual(out.beliefs.map((b: { kind: string; candidate: unknown; subjects: string[]; holds: number; n: number }) =>
    [b.kind, b.candidate, b.subjects, b.holds, b.n]),
  [['guarded', { k: 'test-call', name: 'widget_has_run' }, ['widget.cfg_a', 'widget.cfg_b', 'widget.cfg_c', 'widget.cfg_d', 'widget.cfg_e'], 10, 11]]);
  // each field alone: 2 of 3 paths at best (cfg_a), 2 of 2 for the others
  assert.ok(zScore(2, 3) < MIN_Z);
});

test('infer --entries ROLE: a role of the pack counts from its outermost dispatcher, as naming the dispatcher does', () => {
  const dir = path.join(FIXTURES, 'follow-9');
  const cli = (entries: string) => spawnSync(process.execPath, [CLI, 'infer', dir, '--rules', path.join(dir, 'pack.json'), '--entries', entries], {
    encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1', CALLORDER_ANALYSIS_CACHE: fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-infer-cache-')) },
  });
  const byRole = cli('widget-ioctl');
  const byName = cli('widget_ioctl');
  assert.equal(byRole.status, 1);
  assert.equal(byRole.stdout, byName.stdout);
  assert.match(byRole.stdout, /widget_lock\(\) precedes widget_hw_read\(\) in 9 of 10 paths from widget_ioctl/);
});

test('infer: the same tree gives the same bytes', () => {
  assert.equal(run('follow-9', 'json'), run('follow-9', 'json'));
});

/** `--format pack`'s text on fixture `name`, loaded as a pack that extends the fixture's own. */
function inferredPack(name: string): { text: string; pack: Pack } {
  const text = run(name, 'pack');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-infer-'));
  try {
    const file = path.join(dir, 'inferred.yaml');
    fs.writeFileSync(file, `name: inferred\nextends: [${JSON.stringify(path.join(FIXTURES, name, 'pack.json'))}]\n${text}`);
    return { text, pack: loadPack(file) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('infer --format pack: a pack the loader accepts, whose rule finds the deviant the belief was inferred from', () => {
  const { text, pack } = inferredPack('follow-9');
  assert.match(text, /# evidence: widget_lock\(\) precedes widget_hw_read\(\) in 9 of 10 paths from widget_ioctl; z=0\.79/);
  assert.deepEqual(pack.rules.map((r) => [r.kind, (r as { operations?: string[] }).operations, (r as { acquire?: string[] }).acquire]),
    [['requires-before', ['widget_hw_read'], ['widget_lock']]]);
});

test('infer --format pack: the guard inferred over a predicate with branches of its own, as a guarded rule, reports the one handler without the test', () => {
  const { pack } = inferredPack('guard-branches');
  assert.deepEqual(pack.rules.map((r) => r.kind), ['guarded']);
  // the five handlers that test widget_has_run() are guarded on both of its paths: the check sees the test too
  const found = runRules(makeProgram(loadTree(path.join(FIXTURES, 'guard-branches'), pack), pack), pack).findings;
  assert.deepEqual(found.map((f) => `${f.file}:${f.line} ${f.function}()`), ['widget.c:78 widget_set_e()']);
});

test('infer: the statistic ranks a larger sample higher and refuses a coin toss', () => {
  assert.ok(zScore(41, 42) > zScore(9, 10));
  assert.ok(zScore(9, 10) >= MIN_Z);
  assert.ok(zScore(5, 10) < MIN_Z);
  assert.ok(zScore(2, 2) < MIN_Z);
});
