// The one on-disk cache of callorder: facts per file, skeletons (facts without
// bodies, for the near-tree check), results per tree, and per directory the result its last check left. Entries on disk, one file each, under <cache root>/<kind>/<first two of key>/<key>.json.
//
// An entry is a header line and a payload:
//   {"callorder":"facts","key":"…","version":"…","length":N,"sha256":"…"}\n<payload>
// (length and hash of the payload's UTF-8 bytes).
// It is written to a temporary name in the kind's directory and renamed, so a
// reader sees a whole entry or none; a run killed mid-write leaves only a
// temporary file no reader opens (readers open <key>.json only). Temporary
// names carry the writer's pid and sit beside the shard directories, not in
// them, so an interrupted run finds its own in three directory listings
// (sweepTemporaries) however large the cache. On read, an entry whose header does not
// name the key asked for, this version and the payload's length and hash is
// treated as absent (and the caller's write replaces it). The version is
// VERSION and a hash of the compiled analyzer (code-id.ts), so a rebuilt
// callorder never reads what an older build wrote.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { VERSION } from '../version';
import { analyzerId } from './code-id';
import { cacheRoot } from './root';

export { cacheRoot };

/**
 * `last`: which result a directory's last check left, so the next check of it starts from there;
 * `source`: a parsed file's text by content, so the next check re-reads only the lines around an edit
 */
export type EntryKind = 'facts' | 'skeleton' | 'results' | 'last' | 'source';
export const ENTRY_KINDS: readonly EntryKind[] = ['facts', 'skeleton', 'results', 'last', 'source'];

/** What an entry must have been written by: this release and this build of the analyzer. */
let entryVersion: string | null = null;
function versionOfEntries(): string {
  return (entryVersion ??= `${VERSION}+${analyzerId().slice(0, 16)}`);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A hash of several parts, each ended by a NUL. */
export function sha(...parts: (string | Buffer)[]): string {
  return shaOf(parts);
}

/** sha() of any number of parts: a key over every file of a tree is not passed as arguments. */
export function shaOf(parts: Iterable<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('hex');
}

interface Header {
  callorder: EntryKind;
  key: string;
  version: string;
  length: number;
  sha256: string;
}

const TMP_MARK = '.tmp-';

/**
 * How a facts entry of a file that gave no facts starts: it is the one-line
 * JSON of its outcome ({"ok":false,"note":…}); a text form of facts
 * (facts-text.ts) starts with the facts' own keys.
 */
export const FAILED = '{"ok":false';

export class EntryStore {
  private made = new Set<string>();
  readonly dir: string;

  constructor(readonly kind: EntryKind, root = cacheRoot()) {
    this.dir = path.join(root, kind);
  }

  pathOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /**
   * The entry stored under key: the whole file and where its payload starts,
   * or null when there is none or it is not a sound entry for key.
   */
  readRaw(key: string): { file: string; bytes: Buffer; payloadAt: number } | null {
    const file = this.pathOf(key);
    let raw: Buffer;
    try {
      raw = fs.readFileSync(file);
    } catch {
      return null;
    }
    const nl = raw.indexOf(10);
    if (nl < 0) return null;
    let h: Header;
    try {
      h = JSON.parse(raw.toString('utf8', 0, nl)) as Header;
    } catch {
      return null;
    }
    if (!h || h.callorder !== this.kind || h.key !== key || h.version !== versionOfEntries()) return null;
    const payload = raw.subarray(nl + 1);
    if (payload.length !== h.length || sha256(payload) !== h.sha256) return null;
    return { file, bytes: raw, payloadAt: nl + 1 };
  }

  /** The payload stored under key as text, or null (see readRaw). */
  read(key: string): string | null {
    const r = this.readRaw(key);
    return r ? r.bytes.toString('utf8', r.payloadAt) : null;
  }

  /**
   * Store payload under key, atomically. Returns the entry's file and where
   * the payload starts in it, or null when it could not be written (which
   * only costs the next run a miss).
   */
  write(key: string, payload: string | Buffer): { file: string; payloadAt: number } | null {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const header: Header = { callorder: this.kind, key, version: versionOfEntries(), length: body.length, sha256: sha256(body) };
    const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
    const tmp = path.join(this.dir, `${key}${TMP_MARK}${process.pid}-${threadId}-${Math.random().toString(36).slice(2, 8)}`);
    try {
      if (!this.made.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      }
      fs.writeFileSync(tmp, Buffer.concat([head, body]));
      fs.renameSync(tmp, file);
      return { file, payloadAt: head.length };
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* nothing more to do */
      }
      return null;
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

/**
 * Remove the temporary files this process left in the cache at root: what a
 * thread stopped between writing an entry and renaming it leaves. Returns how
 * many went.
 */
export function sweepTemporaries(root = cacheRoot()): number {
  const mine = `${TMP_MARK}${process.pid}-`;
  let removed = 0;
  for (const kind of ENTRY_KINDS) {
    const dir = path.join(root, kind);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.includes(mine)) continue;
      try {
        fs.rmSync(path.join(dir, n), { force: true });
        removed++;
      } catch {
        /* another's permission: the next `cache clear` takes it */
      }
    }
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

/** JSON values by kind and key over the entry stores; a cache that cannot be read or written is a slower run, never a failed one. */
export class Cache {
  private stores = new Map<EntryKind, EntryStore>();

  constructor(readonly root = cacheRoot()) {}

  store(kind: EntryKind): EntryStore {
    let s = this.stores.get(kind);
    if (!s) this.stores.set(kind, (s = new EntryStore(kind, this.root)));
    return s;
  }

  get<T>(kind: EntryKind, key: string): T | undefined {
    const text = this.store(kind).read(key);
    if (text === null) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }

  put(kind: EntryKind, key: string, value: unknown): void {
    this.store(kind).write(key, JSON.stringify(value));
  }
}

/** The cache at cacheRoot(). */
export function openCache(): Cache {
  return new Cache();
}
