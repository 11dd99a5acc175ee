// What the cache must know about the code that made an entry. VERSION is
// bumped by hand when facts or findings change meaning; between bumps the
// compiled analyzer itself is hashed (with the tree-sitter packages' versions)
// into every entry's version (store.ts), so an entry written by another build
// of the engine, the rules or the front end is never read as current.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { VERSION } from '../version';

/** dist/analyzer */
const ANALYZER = path.resolve(__dirname, '..');

const memo = new Map<string, string>();

/** The hash of the .js files under `dir` (tests excluded), through the stamp beside them when it holds. */
export function codeIdOf(dir: string): string {
  let h = memo.get(dir);
  if (h === undefined) {
    const files: string[] = [];
    listJs(dir, files);
    files.sort();
    const stamp = path.join(dir, STAMP);
    h = fromStamp(stamp, dir, files) ?? hashFiles(stamp, dir, files);
    memo.set(dir, h);
  }
  return h;
}

function hashFiles(stamp: string, dir: string, files: string[]): string {
  const text = files.map((f) => `${path.relative(dir, f)}\0${fs.readFileSync(f, 'latin1')}`).join('\0');
  const h = createHash('sha256').update(`${VERSION}\0${packageVersion('tree-sitter')}\0${packageVersion('tree-sitter-c')}\0${text}`).digest('hex');
  writeStamp(stamp, dir, files, h);
  return h;
}

/**
 * Reading and hashing every compiled file costs a start-up more than the
 * rest of a warm check; the hash is kept beside the files with what each
 * file's stat said, and holds while every stat says the same.
 */
export const STAMP = '.code-id.json';

function statsOf(dir: string, files: string[]): string {
  return files.map((f) => {
    const st = fs.statSync(f);
    return `${path.relative(dir, f)}:${st.size}:${st.mtimeMs}:${st.ino}`;
  }).join('\n');
}

function fromStamp(stamp: string, dir: string, files: string[]): string | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { version: string; stats: string; hash: string };
    return s.version === VERSION && s.stats === statsOf(dir, files) ? s.hash : undefined;
  } catch {
    return undefined;
  }
}

function writeStamp(stamp: string, dir: string, files: string[], hash: string): void {
  try {
    const tmp = `${stamp}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: VERSION, stats: statsOf(dir, files), hash }));
    fs.renameSync(tmp, stamp);
  } catch {
    // a read-only install hashes the files on every run
  }
}

function listJs(p: string, out: string[]): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return;
  }
  if (st.isFile()) {
    if (p.endsWith('.js') && !p.endsWith('.test.js')) out.push(p);
    return;
  }
  for (const name of fs.readdirSync(p)) listJs(path.join(p, name), out);
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** Identity of the whole compiled analyzer (dist/analyzer): part of every cache entry's version. */
export function analyzerId(): string {
  return codeIdOf(ANALYZER);
}
