// The default pack on both Debian trees: `check` runs (exit 0 or 1) and every
// entry the pack names is defined in the pack's own files of 6.12 and of 6.1,
// or marked optional. A missing one is a note naming its rule and key (see
// entries.ts) and leaves that rule idle on the tree, which is what this guards
// against when the pack or a tree moves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fetchKernel } from '../source/fetch-kernel';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');

function check(tree: string): Promise<{ code: number | null; stderr: string; notes: string[] }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, 'check', tree, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => {
      let notes: string[] = [];
      try { notes = (JSON.parse(out) as { stats: { notes: string[] } }).stats.notes; } catch { /* reported by the code */ }
      resolve({ code, stderr: err, notes });
    });
  });
}

test('the default pack runs on the Debian 6.12 and 6.1 trees (every entry defined, exit 0 or 1)', async (t) => {
  const runs = await Promise.all((['6.12', '6.1'] as const).map(async (v) => ({ v, r: await check(fetchKernel(v)) })));
  for (const { v, r } of runs) {
    t.diagnostic(`${v}: exit ${r.code}; ${r.notes.filter((n) => n.startsWith('entry ')).join('; ') || 'every entry defined'}`);
    assert.ok(r.code === 0 || r.code === 1, `${v}: exit ${r.code}: ${r.stderr}`);
    assert.deepEqual(r.notes.filter((n) => /rules\[\d+\]\.entries\[\d+\]: /.test(n)), [], `${v}: every entry that is not optional is defined`);
  }
});
