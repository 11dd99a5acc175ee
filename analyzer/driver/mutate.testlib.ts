// A real tree with our own edits in it, for the tests that put a hazard back
// into a Debian kernel (flow/mutations.kernel.test.ts, infer's kernel test):
// each edit's text must be in its file exactly once, and only the files the
// edits touch are parsed again.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TreeFacts } from './load-tree';
import { makeNormalizer } from '../parse/normalize';
import { parseText, DEFAULT_LIMITS } from '../parse/parse-file';
import type { Pack } from '../pack/load';

export interface Edit {
  file: string;
  /** exact text, present exactly once in the file */
  find: string;
  replace: string;
}

export function applyEdits(text: string, file: string, edits: Edit[]): string {
  let out = text;
  for (const e of edits.filter((x) => x.file === file)) {
    const at = out.indexOf(e.find);
    assert.ok(at >= 0, `${file}: edit does not apply, text not found: ${JSON.stringify(e.find.slice(0, 80))}`);
    assert.equal(out.indexOf(e.find, at + 1), -1, `${file}: edit is ambiguous, text found twice: ${JSON.stringify(e.find.slice(0, 80))}`);
    out = out.slice(0, at) + e.replace + out.slice(at + e.find.length);
  }
  return out;
}

/** `base` with the files case `id`'s edits touch read again after the edits. */
export function mutatedTree(base: TreeFacts, pack: Pack, id: string, edits: Edit[]): TreeFacts {
  const normalize = makeNormalizer(pack.frontend);
  const files = new Set(edits.map((e) => e.file));
  const replaced = new Map<string, TreeFacts['files'][number]>();
  for (const rel of files) {
    const text = fs.readFileSync(path.join(base.root, rel), 'latin1');
    const r = parseText(applyEdits(text, rel, edits), rel, normalize, DEFAULT_LIMITS);
    assert.ok(r.ok, `${id}: ${rel} does not parse after the edit`);
    replaced.set(rel, r.facts);
  }
  for (const rel of files) assert.ok(base.files.some((f) => f.file === rel), `${id}: ${rel} is not an analysed file`);
  return { ...base, files: base.files.map((f) => replaced.get(f.file) ?? f) };
}
