// --max-body-bytes through the CLI: the pack's own files always keep their
// function bodies; other files keep theirs in path order until the budget is
// spent, then are declarations only, with one note naming them. Their
// functions still count in stats, but calls to them resolve like calls to a
// function outside the run (the graph has no edge to them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--max-body-bytes: bodies outside the pack are kept in path order up to the budget, the rest noted', (t) => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-budget-'));
  t.after(() => fs.rmSync(tree, { recursive: true, force: true }));
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
    fs.writeFileSync(path.join(tree, rel), text);
  };
  w('arch/x86/kvm/entry.c', 'int kvm_entry(void)\n{\n\treturn lib_a() + lib_b();\n}\n');
  w('lib/a.c', 'int lib_a(void)\n{\n\treturn 1;\n}\n');
  w('lib/b.c', 'int lib_b(void)\n{\n\treturn 2;\n}\n');
  const sizeA = fs.statSync(path.join(tree, 'lib/a.c')).size;
  const all = ['--include', '**/*.c'];

  const edges = (budget: string[]) => {
    const g = run(['graph', tree, ...all, ...budget, '--from', 'kvm_entry', '--format', 'json']);
    assert.equal(g.code, 0, g.stderr);
    return { edges: (JSON.parse(g.stdout) as { edges: { to: string }[] }).edges.map((e) => e.to).sort(), stderr: g.stderr };
  };
  const free = edges([]);
  assert.deepEqual(free.edges, ['lib_a', 'lib_b']);
  assert.doesNotMatch(free.stderr, /declarations only/);

  const one = edges(['--max-body-bytes', String(sizeA)]);
  assert.deepEqual(one.edges, ['lib_a'], 'lib/a.c comes first in path order and fits; lib/b.c does not');
  assert.match(one.stderr, new RegExp(`^1 file outside the pack's files read as declarations only \\(--max-body-bytes ${sizeA} of function bodies kept\\): lib/b\\.c$`, 'm'));

  const none = run(['stats', tree, ...all, '--max-body-bytes', '0', '--format', 'json']);
  assert.equal(none.code, 0, none.stderr);
  const s = JSON.parse(none.stdout) as { functionCount: number; notes: string[] };
  assert.equal(s.functionCount, 3, 'declarations-only functions still count');
  assert.deepEqual(s.notes, ["2 files outside the pack's files read as declarations only (--max-body-bytes 0 of function bodies kept): lib/a.c ... lib/b.c"]);
  assert.deepEqual(edges(['--max-body-bytes', '0']).edges, [], 'the pack\'s own file is read whole, its callees are not');

  const bad = run(['stats', tree, '--max-body-bytes', '-1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-body-bytes/);
});
