// What the tests of a nearby tree's reuse share: a tree with one file
// edited, and a throw-away cache of facts and results for the suite (the
// kernel trees stay where they were fetched).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cloneTree, type SourceTree } from '../source/snapshot';

/** `t` with `file` (new, when it is not in `t`) made `fn` of its text; the edit must change it. */
export function edited(t: SourceTree, file: string, fn: (s: string) => string): SourceTree {
  const c = cloneTree(t);
  const before = (t.files.get(file) as Buffer | undefined)?.toString('latin1') ?? '';
  const after = fn(before);
  assert.notEqual(after, before);
  c.files.set(file, Buffer.from(after, 'latin1'));
  return c;
}

/** Points CALLORDER_ANALYSIS_CACHE at a new directory; the function returned puts it back and removes the directory. */
export function ownCache(): () => void {
  const saved = process.env.CALLORDER_ANALYSIS_CACHE;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
  process.env.CALLORDER_ANALYSIS_CACHE = dir;
  return () => {
    if (saved === undefined) delete process.env.CALLORDER_ANALYSIS_CACHE;
    else process.env.CALLORDER_ANALYSIS_CACHE = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
