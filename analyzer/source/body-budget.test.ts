// --max-body-bytes through the CLI: a tree with at least that much source
// keeps its function bodies on disk, in the facts entries (body-store.ts), and
// reads each back when the engine or the graph asks for it. Memory is bounded
// without changing what is found: the graph, the stats and check's findings
// are those of a run with every body in memory. (That check leaves out the
// bodies of files outside the pack's own is another matter, for speed, not
// memory: walked-bodies.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--max-body-bytes: bodies left on disk give the graph, stats and findings of bodies in memory', (t) => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-budget-'));
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-budget-cache-'));
  t.after(() => {
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  });
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
    fs.writeFileSync(path.join(tree, rel), text);
  };
  w('arch/x86/kvm/entry.c', 'int kvm_entry(void)\n{\n\treturn lib_a() + lib_b();\n}\n');
  w('lib/a.c', 'int lib_a(void)\n{\n\treturn 1;\n}\n');
  w('lib/b.c', 'int lib_b(void)\n{\n\treturn 2;\n}\n');
  const sizeA = fs.statSync(path.join(tree, 'lib/a.c')).size;
  const all = ['--include', '**/*.c'];
  const env = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache };

  const edges = (budget: string[]) => {
    const g = run(['graph', tree, ...all, ...budget, '--from', 'kvm_entry', '--format', 'json'], env);
    assert.equal(g.code, 0, g.stderr);
    return { edges: (JSON.parse(g.stdout) as { edges: { to: string }[] }).edges.map((e) => e.to).sort(), stderr: g.stderr };
  };
  const free = edges([]);
  assert.deepEqual(free.edges, ['lib_a', 'lib_b']);
  assert.equal(free.stderr, '');

  const one = edges(['--max-body-bytes', String(sizeA)]);
  assert.deepEqual(one.edges, ['lib_a', 'lib_b'], 'bodies on disk are read back: the same edges');
  assert.equal(one.stderr, '', 'nothing is dropped, so nothing to note');
  // and with no cache: the bodies go to a store of the run's own
  assert.deepEqual(edges(['--max-body-bytes', '0', '--no-cache']).edges, ['lib_a', 'lib_b']);

  const stats = (budget: string[]) => {
    const r = run(['stats', tree, ...all, ...budget, '--format', 'json'], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { functionCount: number; notes: string[] };
  };
  const none = stats(['--max-body-bytes', '0']);
  assert.equal(none.functionCount, 3, 'every function counts');
  assert.deepEqual(none.notes, []);
  assert.deepEqual(none, stats([]));

  // check streams a tree over the budget (the whole-kernel path) and finds what analyze() finds
  const inMemory = run(['check', tree, ...all, '--format', 'json', '--no-cache'], env);
  const streamed = run(['check', tree, ...all, '--format', 'json', '--no-cache', '--max-body-bytes', '0'], env);
  assert.ok(inMemory.code === 0 || inMemory.code === 1, inMemory.stderr);
  assert.equal(streamed.code, inMemory.code, streamed.stderr);
  assert.equal(streamed.stdout, inMemory.stdout);

  const bad = run(['stats', tree, '--max-body-bytes', '-1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-body-bytes/);
});
