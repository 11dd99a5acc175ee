// Which files of a tree are analysed. Symlinks are not followed: a kernel
// tree has none worth reading, and following them invites loops and escapes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';

export interface Discovery {
  files: string[];
  notes: string[];
}

/** Whether a tree-relative path is analysed: the test discovery applies, for paths that come from git or a patch. */
export function analysedMatcher(include: string[], exclude: string[]): (rel: string) => boolean {
  const inc = picomatch(include, { dot: false });
  const exc = exclude.length ? picomatch(exclude) : () => false;
  return (rel) => inc(rel) && !exc(rel);
}

/**
 * The files whose functions a run of the pack enters (flow/run.ts): those
 * its own include names, when the tree has any; null when it has none (a
 * rule's example cases, a file checked on its own), and every file is. The
 * others need only their declarations (types, macros, tables, signatures),
 * so the loaders read them without function bodies.
 */
export function walkedMatcher(include: string[], exclude: string[], files: Iterable<string>): ((rel: string) => boolean) | null {
  if (!include.length) return null;
  const m = analysedMatcher(include, exclude);
  for (const f of files) if (m(f)) return m;
  return null;
}

/**
 * The directories that can hold a match, none under another ('' or '.' for
 * the whole tree): the fixed prefixes of the globs, so that a whole kernel is
 * not walked, nor listed by git, to find arch/x86/kvm.
 */
export function globRoots(include: string[]): string[] {
  const starts = new Set<string>();
  for (const g of include) {
    const scan = picomatch.scan(g);
    starts.add(scan.isGlob ? scan.base : path.posix.dirname(g));
  }
  return [...starts].filter((s) => ![...starts].some((o) => o !== s && isUnder(s, o)));
}

export function discoverFiles(root: string, include: string[], exclude: string[]): Discovery {
  const analysed = analysedMatcher(include, exclude);
  const files: string[] = [];
  const notes: string[] = [];
  const roots = globRoots(include);
  const seen = new Set<string>();
  const stack: string[] = roots.sort().reverse();
  while (stack.length) {
    const rel = stack.pop()!;
    const abs = rel === '' || rel === '.' ? root : path.join(root, rel);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && rel !== '' && rel !== '.') continue; // a pack may name directories a tree lacks
      notes.push(`${rel || '.'}: cannot read directory (${code ?? 'error'}), skipped`);
      continue;
    }
    const dirs: string[] = [];
    for (const ent of entries) {
      const r = rel === '' || rel === '.' ? ent.name : `${rel}/${ent.name}`;
      if (ent.isSymbolicLink()) {
        // a link that would matter (a source file, a directory, a loop) gets a note
        let what = '';
        try {
          if (fs.statSync(path.join(abs, ent.name)).isDirectory()) what = ' to a directory';
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ELOOP') what = ' loop';
          else if (!analysed(r)) continue; // dangling, and no source file
        }
        if (what || analysed(r)) notes.push(`${r}: symbolic link${what}, not followed`);
        continue;
      }
      if (ent.isDirectory()) {
        if (ent.name === '.git' || ent.name === 'node_modules') continue;
        dirs.push(r);
      } else if (ent.isFile()) {
        if (analysed(r) && !seen.has(r)) {
          seen.add(r);
          files.push(r);
        }
      }
    }
    dirs.sort().reverse();
    for (const d of dirs) stack.push(d); // not push(...dirs): a spread of a huge directory overflows the stack
  }
  files.sort();
  return { files, notes };
}

function isUnder(p: string, dir: string): boolean {
  if (dir === '' || dir === '.') return p !== dir;
  return p.startsWith(dir + '/');
}

/** A directory looks like a kernel tree when it has the top-level layout of one. */
export function looksLikeKernelTree(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, 'arch')).isDirectory() &&
      (fs.existsSync(path.join(dir, 'virt')) || fs.existsSync(path.join(dir, 'Kconfig')) || fs.existsSync(path.join(dir, 'Makefile')));
  } catch {
    return false;
  }
}
