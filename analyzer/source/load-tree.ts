// source → facts for a whole tree: discovery, then one parse per file. The
// result is ordered by path so every later stage sees the same order.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileFacts } from '../parse/ir';
import { parseFile, DEFAULT_LIMITS, type ParseLimits } from '../parse/parse-file';
import { makeNormalizer } from './normalize';
import { discoverFiles } from './discover';
import { BodyBudget } from './body-budget';
import type { Pack } from '../pack/load';

export interface TreeFacts {
  root: string;
  files: FileFacts[];
  /** one line each: files skipped or partly read */
  notes: string[];
  bytes: number;
}

export class InputError extends Error {}

export interface LoadOptions {
  include?: string[];
  exclude?: string[];
  limits?: ParseLimits;
  /** bytes of files outside the pack's own whose function bodies are kept (BodyBudget) */
  maxBodyBytes?: number;
  onProgress?: (done: number, total: number, bytes: number) => void;
}

export function checkTreeRoot(root: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw new InputError(`${root}: no such directory`);
  }
  if (!st.isDirectory()) throw new InputError(`${root}: not a directory`);
  try {
    fs.readdirSync(root);
  } catch (e) {
    throw new InputError(`${root}: cannot read directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * The load as steps, one file each, so that one loop serves both the plain
 * synchronous call and the one that lets the event loop turn between files.
 */
function* loadSteps(root: string, pack: Pack, opts: LoadOptions): Generator<void, TreeFacts> {
  checkTreeRoot(root);
  const include = opts.include?.length ? opts.include : pack.include;
  const exclude = [...pack.exclude, ...(opts.exclude ?? [])];
  const { files, notes } = discoverFiles(root, include, exclude);
  const normalize = makeNormalizer(pack.frontend);
  const budget = new BodyBudget(pack, opts.maxBodyBytes);
  const out: FileFacts[] = [];
  let bytes = 0;
  for (const [i, rel] of files.entries()) {
    const r = parseFile(path.join(root, rel), rel, normalize, opts.limits ?? DEFAULT_LIMITS);
    if (r.ok) {
      budget.admit(r.facts);
      out.push(r.facts);
      bytes += r.facts.bytes;
      for (const n of r.facts.notes) notes.push(n); // a spread of a huge list overflows the stack
    } else notes.push(r.note);
    opts.onProgress?.(i + 1, files.length, bytes);
    yield;
  }
  const dropped = budget.note();
  if (dropped) notes.push(dropped);
  return { root, files: out, notes, bytes };
}

/** For small trees (fixtures, tests): every syntax tree stays in memory until the caller returns. */
export function loadTree(root: string, pack: Pack, opts: LoadOptions = {}): TreeFacts {
  const steps = loadSteps(root, pack, opts);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/**
 * What the commands use. tree-sitter frees a syntax tree in a finalizer that
 * Node runs only when the event loop turns, never inside a synchronous loop:
 * loading a whole kernel without turning it kept every tree (several MB each)
 * and was at 12 GB when stopped after three minutes. Turning it after each
 * file costs a few microseconds.
 */
export async function loadTreeAsync(root: string, pack: Pack, opts: LoadOptions = {}): Promise<TreeFacts> {
  const steps = loadSteps(root, pack, opts);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
