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

function hashCode(parts: string[]): string {
  const key = parts.join('|');
  let h = memo.get(key);
  if (h === undefined) {
    const files: string[] = [];
    for (const p of parts) listJs(path.join(ANALYZER, p), files);
    files.sort();
    const text = files.map((f) => `${path.relative(ANALYZER, f)}\0${fs.readFileSync(f, 'latin1')}`).join('\0');
    h = createHash('sha256').update(`${VERSION}\0${packageVersion('tree-sitter')}\0${packageVersion('tree-sitter-c')}\0${text}`).digest('hex');
    memo.set(key, h);
  }
  return h;
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
  return hashCode(['.']);
}
