// A tree with patches applied, held in memory over the real tree, which is
// only ever read: the patched files live in an overlay, so a patch from a
// stranger cannot write anywhere. Hunks apply with their exact context (an
// offset is allowed, fuzz is not), as `git apply` does by default. A path
// that goes through a symbolic link in the tree is refused.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { SourceFile, SourceTree } from '../source/snapshot';
import type { FilePatch, Hunk } from './diff';
import { InputError } from '../util/errors';

export class PatchedTree {
  private overlay = new Map<string, Buffer | null>();

  constructor(private root: string, private base: SourceTree, private select: (rel: string) => boolean, private maxFileSize: number) {}

  /** Applies every file of one patch, or none of them: a failure leaves the tree as it was. */
  apply(files: FilePatch[], name: string): void {
    const staged = new Map<string, Buffer | null>();
    const current = (rel: string, at: string) => (staged.has(rel) ? staged.get(rel)! : this.read(rel, at));
    // a path this patch or an earlier one deleted: a link that was there no longer is
    const gone = (rel: string) => (staged.has(rel) ? staged.get(rel) === null : this.overlay.get(rel) === null);
    for (const fp of files) {
      const at = `${name}:${fp.at}`;
      // the link a deletion removes is the one link a path may end in; one a patch deleted may be a file again
      if (fp.oldPath) this.noLinks(fp.oldPath, at, fp.link ? () => true : gone);
      if (fp.newPath && fp.newPath !== fp.oldPath) this.noLinks(fp.newPath, at, gone);
      if (fp.newPath) this.noFileOnTheWay(fp.newPath, staged, at);
      let old: Buffer | null = null;
      if (fp.oldPath) {
        old = fp.link ? this.linkTarget(fp.oldPath, staged, at) : current(fp.oldPath, at);
        if (old === null) throw new InputError(`${at}: ${fp.oldPath} does not exist in the tree`);
      }
      if (fp.newPath && fp.newPath !== fp.oldPath && current(fp.newPath, at) !== null) {
        throw new InputError(`${at}: ${fp.newPath} already exists in the tree`);
      }
      if (fp.newPath === null && !fp.hunks.length) {
        // `git format-patch -D` leaves out the text of a deleted file: the index line's blob id says which it was
        irreversibleDelete(fp, old!, at);
        staged.set(fp.oldPath!, null);
        continue;
      }
      const text = applyHunks(old ? old.toString('latin1') : '', fp.hunks, `${name}`, fp.newPath ?? fp.oldPath!);
      if (fp.newPath === null) {
        if (text !== '') throw new InputError(`${at}: deleting ${fp.oldPath}, but the patch does not remove all of it`);
        staged.set(fp.oldPath!, null);
        continue;
      }
      if (fp.oldPath && fp.oldPath !== fp.newPath && !fp.copy) staged.set(fp.oldPath, null);
      staged.set(fp.newPath, Buffer.from(text, 'latin1'));
    }
    for (const [k, v] of staged) this.overlay.set(k, v);
  }

  /** The analysed files as they are after the patches applied so far. */
  snapshot(label: string): SourceTree {
    const files = new Map<string, SourceFile>(this.base.files);
    for (const [rel, content] of this.overlay) {
      if (!this.select(rel)) continue;
      if (content === null) files.delete(rel);
      else if (content.length > this.maxFileSize) files.set(rel, { note: `${rel}: ${content.length} bytes is over --max-file-size ${this.maxFileSize}, skipped` });
      else files.set(rel, content);
    }
    return { label, files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), notes: this.base.notes };
  }

  private read(rel: string, at: string): Buffer | null {
    if (this.overlay.has(rel)) return this.overlay.get(rel)!;
    const known = this.base.files.get(rel);
    if (known !== undefined) {
      if (!Buffer.isBuffer(known)) throw new InputError(`${at}: cannot patch ${known.note}`);
      return known;
    }
    const abs = path.join(this.root, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      return null;
    }
    if (!st.isFile()) throw new InputError(`${at}: ${rel} is not a regular file in the tree: refused`);
    if (st.size > this.maxFileSize) throw new InputError(`${at}: ${rel} is ${st.size} bytes, over --max-file-size`);
    return fs.readFileSync(abs);
  }

  /**
   * No directory on the way to `rel` may be a file, in the tree or made by a
   * patch: the links an earlier patch could make are refused when parsed, and
   * this keeps a file standing in for one from being written through too.
   */
  private noFileOnTheWay(rel: string, staged: Map<string, Buffer | null>, at: string): void {
    const parts = rel.split('/');
    for (let k = 1; k < parts.length; k++) {
      const dir = parts.slice(0, k).join('/');
      const mine = staged.has(dir) ? staged.get(dir) : this.overlay.has(dir) ? this.overlay.get(dir) : undefined;
      let file = mine !== undefined ? mine !== null : this.base.files.has(dir);
      if (mine === undefined && !file) {
        try {
          file = !fs.lstatSync(path.join(this.root, dir)).isDirectory();
        } catch {
          file = false;
        }
      }
      if (file) throw new InputError(`${at}: ${rel} goes through ${dir}, which is not a directory: refused`);
    }
  }

  /**
   * Every directory on the way to `rel` must not be a symbolic link, nor
   * `rel` itself unless `lastMayBe(rel)`: the link a deletion removes, or one
   * a patch has deleted already.
   */
  private noLinks(rel: string, at: string, lastMayBe: (rel: string) => boolean): void {
    let cur = this.root;
    const parts = rel.split('/');
    for (const [k, c] of parts.entries()) {
      cur = path.join(cur, c);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(cur);
      } catch {
        return;
      }
      if (st.isSymbolicLink() && !(k === parts.length - 1 && lastMayBe(rel))) {
        throw new InputError(`${at}: ${rel} goes through the symbolic link ${path.relative(this.root, cur)}: refused`);
      }
    }
  }

  /** The text git keeps for a symbolic link of the tree (its target), which a patch deleting it removes; null when there is none. */
  private linkTarget(rel: string, staged: Map<string, Buffer | null>, at: string): Buffer | null {
    if (staged.has(rel) || this.overlay.has(rel)) return null;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(this.root, rel));
    } catch {
      return null;
    }
    if (!st.isSymbolicLink()) throw new InputError(`${at}: the patch deletes ${rel} as a symbolic link, and it is not one in the tree: refused`);
    return fs.readlinkSync(path.join(this.root, rel), { encoding: 'buffer' });
  }
}

/** git's id of a blob: the SHA-1 of its header and bytes. */
function blobId(b: Buffer): string {
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
}

/**
 * A deletion without the deleted text (`git format-patch -D`): it is the
 * tree's file only when the `index` line names that file's blob; without
 * one nothing says which file the author deleted.
 */
function irreversibleDelete(fp: FilePatch, old: Buffer, at: string): void {
  if (!fp.oldBlob) throw new InputError(`${at}: deleting ${fp.oldPath} without its text and without an index line to check it by: refused`);
  const id = blobId(old);
  if (!id.startsWith(fp.oldBlob)) {
    throw new InputError(`${at}: deleting ${fp.oldPath} as blob ${fp.oldBlob}, but the tree's is ${id.slice(0, Math.max(7, fp.oldBlob.length))}`);
  }
}

/** Lines with their '\n' (the last may have none), so "no newline at end of file" compares like any byte. */
function splitLines(text: string): string[] {
  const out = text.split(/(?<=\n)/);
  return out.length === 1 && out[0] === '' ? [] : out;
}

/** Line comparisons one file's hunks may cost: repeated lines make the search quadratic, and a patch is a stranger's. */
const SEARCH_BUDGET = 50_000_000;

export function applyHunks(text: string, hunks: Hunk[], name: string, file: string): string {
  const lines = splitLines(text);
  const budget = { left: SEARCH_BUDGET };
  const out: string[] = [];
  let pos = 0;
  let offset = 0;
  for (const [k, h] of hunks.entries()) {
    const old = h.lines.filter((l) => l.op !== '+').map((l) => l.text);
    const neu = h.lines.filter((l) => l.op !== '-').map((l) => l.text);
    // a pure insertion after line N has N as its start; otherwise the start is the first old line
    const want = (old.length === 0 ? h.oldStart : h.oldStart - 1) + offset;
    const at = findBlock(lines, old, want, pos, budget);
    if (at === -2) throw new InputError(`${name}:${h.at}: hunk #${k + 1} of ${file}: searching for where it applies costs too much`);
    if (at < 0) {
      throw new InputError(`${name}:${h.at}: hunk #${k + 1} of ${file} does not apply (@@ -${h.oldStart},${h.oldCount} +${h.newStart},${h.newCount} @@)`);
    }
    // loops, not a spread of the lines into push: a 130,000-line hunk overflows the stack
    for (let i = pos; i < at; i++) out.push(lines[i]);
    for (const l of neu) out.push(l);
    pos = at + old.length;
    offset = at - (h.oldStart - (old.length === 0 ? 0 : 1));
  }
  for (let i = pos; i < lines.length; i++) out.push(lines[i]);
  return out.join('');
}

/** Where `block` stands in `lines` at or after `from`, nearest to `want`; -1 when nowhere, -2 when over budget. */
function findBlock(lines: string[], block: string[], want: number, from: number, budget: { left: number }): number {
  const matches = (at: number) => {
    if (at < from || at + block.length > lines.length) return false;
    for (let i = 0; i < block.length; i++) {
      budget.left--;
      if (lines[at + i] !== block[i]) return false;
    }
    return true;
  };
  if (block.length === 0) return want >= from && want <= lines.length ? want : -1;
  for (let d = 0; d <= lines.length; d++) {
    if (budget.left < 0) return -2;
    if (matches(want - d)) return want - d;
    if (d && matches(want + d)) return want + d;
    if (want - d < from && want + d > lines.length) break;
  }
  return -1;
}
