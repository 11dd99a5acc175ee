// A check enters only the functions of the pack's own files (program.ts
// confinedTo), so the files --include adds beyond them are read for their
// declarations only: their function bodies are never extracted
// (discover.ts walkedMatcher, flat-tree.ts). What is found does not change:
// a check with the extra files, in memory or streamed, finds exactly what the
// pack's files alone find, while graph and stats still read every body.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

function run(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every facts entry of the cache, as the text after its header line (facts-text.ts). */
function factEntries(cache: string): string[] {
  const out: string[] = [];
  const dir = path.join(cache, 'facts');
  if (!fs.existsSync(dir)) return out;
  for (const sub of fs.readdirSync(dir)) {
    for (const f of fs.readdirSync(path.join(dir, sub))) {
      const text = fs.readFileSync(path.join(dir, sub, f), 'utf8');
      out.push(text.slice(text.indexOf('\n') + 1));
    }
  }
  return out;
}

test('check reads the files beyond the pack\'s own without bodies, and finds what the pack\'s files alone find', (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-walked-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const tree = path.join(work, 'tree');
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
    fs.writeFileSync(path.join(tree, rel), text);
  };
  w('drv/widget.h', 'struct widget {\n\tint size;\n\tint base;\n};\n\nvoid widget_setup(struct widget *w);\nint lib_measure(struct widget *w);\n');
  w('drv/create.c', [
    '#include "widget.h"', '',
    'static int widget_size_of(struct widget *w)', '{', '\treturn w->size;', '}', '',
    'int widget_create(struct widget *w)', '{', '\tint n;', '',
    '\tn = widget_size_of(w) + lib_measure(w);', '\twidget_setup(w);', '\treturn n;', '}', '',
  ].join('\n'));
  // outside the pack's files: its read of w->base before setup is not the pack's to report,
  // and its table is a declaration the program still sees
  w('lib/measure.c', [
    '#include "../drv/widget.h"', '',
    'struct measure_ops {', '\tint (*measure)(struct widget *w);', '};', '',
    'static int lib_helper(struct widget *w)', '{', '\treturn 1;', '}', '',
    'int lib_measure(struct widget *w)', '{', '\treturn w->base + lib_helper(w);', '}', '',
    'static struct measure_ops lib_ops = {', '\t.measure = lib_measure,', '};', '',
  ].join('\n'));
  const pack = path.join(work, 'pack.json');
  fs.writeFileSync(pack, JSON.stringify({
    name: 'walked-bodies',
    extends: [path.join(ROOT, 'rules', 'kernel-c.json')],
    files: { include: ['drv/**/*.c', 'drv/**/*.h'] },
    rules: [{
      id: 'widget-before-setup', kind: 'init-before-read', confidence: 'high',
      description: 'A new widget is zero-allocated; widget_setup() sets its size and base.',
      message: '{field} is read before widget_setup() set it, on the path from {entry}',
      fields: ['widget.size', 'widget.base'], initializers: ['widget_setup'], entries: ['widget_create'], fresh: ['widget'],
    }],
  }));
  const cache = path.join(work, 'cache');
  const env = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache };
  const check = (...extra: string[]) => run(['check', tree, '--rules', pack, '--format', 'json', ...extra], env);

  const own = check();
  assert.equal(own.code, 1, own.stderr);
  const findings = (JSON.parse(own.stdout) as { findings: { function: string; field: string }[] }).findings;
  assert.deepEqual(findings.map((f) => `${f.function} ${f.field}`), ['widget_size_of widget.size']);

  fs.rmSync(cache, { recursive: true, force: true });
  const wide = check('--include', '**/*.c', '--include', '**/*.h');
  assert.equal(wide.code, 1, wide.stderr);
  assert.deepEqual(JSON.parse(wide.stdout).findings, JSON.parse(own.stdout).findings);
  const entries = factEntries(cache);
  const measure = entries.filter((e) => e.startsWith('{"file":"lib/measure.c"'));
  const create = entries.filter((e) => e.startsWith('{"file":"drv/create.c"'));
  assert.equal(measure.length, 1, 'lib/measure.c has one facts entry');
  assert.equal(create.length, 1, 'drv/create.c has one facts entry');
  // the skeleton line, then one line a function: lib_measure's body is empty, widget_create's is not
  assert.deepEqual(measure[0].split('\n').slice(1), ['{"k":"block","body":[]}', '{"k":"block","body":[]}']);
  assert.match(measure[0].split('\n')[0], /"name":"lib_ops","type":"struct measure_ops"/);
  assert.equal(create[0].split('\n').slice(1).some((l) => l.includes('widget_setup')), true);

  // streamed (the whole-kernel path), bodies on disk: the same
  const streamed = check('--include', '**/*.c', '--include', '**/*.h', '--no-cache', '--max-body-bytes', '0');
  assert.equal(streamed.code, 1, streamed.stderr);
  assert.equal(streamed.stdout, wide.stdout);
  // streamed with the bodies in memory: the tree is over the budget, the source read with bodies (drv/) is not
  const size = (rel: string) => fs.statSync(path.join(tree, rel)).size;
  const walked = size('drv/widget.h') + size('drv/create.c');
  const held = check('--include', '**/*.c', '--include', '**/*.h', '--no-cache', '--max-body-bytes', String(walked + 1));
  assert.equal(held.code, 1, held.stderr);
  assert.equal(held.stdout, wide.stdout);

  // graph reads every body: lib_measure's call is there
  const g = run(['graph', tree, '--rules', pack, '--include', '**/*.c', '--from', 'lib_measure', '--format', 'json'], env);
  assert.equal(g.code, 0, g.stderr);
  assert.deepEqual((JSON.parse(g.stdout) as { edges: { to: string }[] }).edges.map((e) => e.to), ['lib_helper']);
});
