// A tree as bytes in memory: the analysed files of a directory, of a git
// revision or of the index, or of a tree with a patch applied. Analysing from
// memory means a review or a hook never writes a copy of anyone's tree, and
// every way of getting a tree ends in the same analysis.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pack } from '../pack/load';
import { analysedMatcher, discoverFiles, globRoots } from './discover';
import { DEFAULT_LIMITS, type ParseLimits } from './limits';
import { errMsg, InputError } from '../util/errors';

/** A file's bytes, or the one-line note that says why it has none. */
export type SourceFile = Buffer | { note: string };

export interface SourceTree {
  /** what reports call the tree: a directory or revision name, never a temporary path */
  label: string;
  /** tree-relative path → content, for the analysed files only */
  files: Map<string, SourceFile>;
  /** discovery notes (links not followed, unreadable directories) */
  notes: string[];
}

export interface SelectOptions {
  include?: string[];
  exclude?: string[];
  limits?: ParseLimits;
}

/** Which paths are analysed, and the directories that can hold them (globRoots). */
export interface Selector {
  (rel: string): boolean;
  roots?: string[];
}

export function selector(pack: Pack, opts: SelectOptions = {}): Selector {
  const include = opts.include?.length ? opts.include : pack.include;
  const select: Selector = analysedMatcher(include, [...pack.exclude, ...(opts.exclude ?? [])]);
  select.roots = globRoots(include);
  return select;
}

/** A directory that can be read, or an InputError saying why not. */
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

/** `found`: what discovery of the same selection already listed (check's scan), so the tree is not walked twice. */
export function snapshotDir(root: string, pack: Pack, opts: SelectOptions = {}, label = path.basename(root),
  found?: { files: string[]; notes: string[] }): SourceTree {
  checkTreeRoot(root);
  const include = opts.include?.length ? opts.include : pack.include;
  const { files, notes } = found ?? discoverFiles(root, include, [...pack.exclude, ...(opts.exclude ?? [])]);
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const out = new Map<string, SourceFile>();
  for (const rel of files) out.set(rel, readLimited(path.join(root, rel), rel, limits));
  return { label, files: out, notes };
}

/** Reads a regular file unless it is over the size limit: a 100 MB file is never pulled into memory. */
export function readLimited(abs: string, rel: string, limits: ParseLimits): SourceFile {
  try {
    const st = fs.lstatSync(abs);
    if (!st.isFile()) return { note: `${rel}: not a regular file, skipped` };
    if (st.size > limits.maxFileSize) return { note: `${rel}: ${st.size} bytes is over --max-file-size ${limits.maxFileSize}, skipped` };
    return fs.readFileSync(abs);
  } catch (e) {
    return { note: `${rel}: cannot read: ${errMsg(e)}` };
  }
}

export function cloneTree(t: SourceTree, label = t.label): SourceTree {
  return { label, files: new Map(t.files), notes: [...t.notes] };
}
