// Entries on disk, one file each, under <cache root>/<kind>/<first two of key>/<key>.json.
//
// An entry is a header line and a payload:
//   {"callorder":"facts","key":"…","version":"…","length":N,"sha256":"…"}\n<payload JSON>
// It is written to a temporary name in the same directory and renamed, so a
// reader sees a whole entry or none; a run killed mid-write leaves only a
// temporary file no reader opens. On read, an entry whose header does not
// name the key asked for, this version and the payload's length and hash is
// treated as absent (and the caller's write replaces it).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { kernelCacheRoot } from '../source/fetch-kernel';
import { VERSION } from '../version';

export type EntryKind = 'facts' | 'results';
export const ENTRY_KINDS: readonly EntryKind[] = ['facts', 'results'];

/**
 * Where facts and results live: $CALLORDER_ANALYSIS_CACHE, else beside the
 * kernel trees ($CALLORDER_CACHE, $XDG_CACHE_HOME/callorder or ~/.cache/callorder).
 * The variable of its own lets tests use a throw-away cache and still find
 * the trees they fetched.
 */
export function cacheRoot(): string {
  const own = process.env.CALLORDER_ANALYSIS_CACHE;
  return own ? path.resolve(own) : kernelCacheRoot();
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

interface Header {
  callorder: EntryKind;
  key: string;
  version: string;
  length: number;
  sha256: string;
}

const TMP_MARK = '.tmp-';

export class EntryStore {
  private made = new Set<string>();
  readonly dir: string;

  constructor(readonly kind: EntryKind, root = cacheRoot()) {
    this.dir = path.join(root, kind);
  }

  pathOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The payload stored under key, or null when there is none or it is not a sound entry for key. */
  read(key: string): { payload: string } | null {
    let raw: string;
    try {
      raw = fs.readFileSync(this.pathOf(key), 'utf8');
    } catch {
      return null;
    }
    const nl = raw.indexOf('\n');
    if (nl < 0) return null;
    let h: Header;
    try {
      h = JSON.parse(raw.slice(0, nl)) as Header;
    } catch {
      return null;
    }
    if (!h || h.callorder !== this.kind || h.key !== key || h.version !== VERSION) return null;
    const payload = raw.slice(nl + 1);
    if (payload.length !== h.length || sha256(payload) !== h.sha256) return null;
    return { payload };
  }

  /** Store payload under key, atomically; a failure to write only costs the next run a miss. */
  write(key: string, payload: string): boolean {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const header: Header = { callorder: this.kind, key, version: VERSION, length: payload.length, sha256: sha256(payload) };
    const tmp = `${file}${TMP_MARK}${process.pid}-${threadId}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      if (!this.made.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      }
      fs.writeFileSync(tmp, `${JSON.stringify(header)}\n${payload}`);
      fs.renameSync(tmp, file);
      return true;
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* nothing more to do */
      }
      return false;
    }
  }
}

/** Remove every entry of every kind (and temporary files a killed run left); returns how many files went. */
export function clearCache(root = cacheRoot()): number {
  let removed = 0;
  for (const kind of ENTRY_KINDS) {
    const dir = path.join(root, kind);
    if (!fs.existsSync(dir)) continue;
    // move the directory aside first, so a concurrent run sees an empty cache, never half of one
    const aside = `${dir}${TMP_MARK}clear-${process.pid}-${Date.now()}`;
    fs.renameSync(dir, aside);
    removed += countFiles(aside);
    fs.rmSync(aside, { recursive: true, force: true });
  }
  return removed;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  }
  return n;
}
