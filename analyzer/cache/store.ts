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
import { isMainThread, threadId } from 'node:worker_threads';
import { VERSION } from '../version';
import { analyzerId } from './code-id';
import { cacheRoot } from './root';
import { sha256 } from '../util/hash';

export { cacheRoot };
// the hashes every key is made with, where the cache's users have always found them
export { sha, sha256, shaOf } from '../util/hash';

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

interface Header {
  callorder: EntryKind;
  key: string;
  version: string;
  length: number;
  sha256: string;
}

const TMP_MARK = '.tmp-';

/**
 * The cache is the user's alone: it holds the text of every file analysed,
 * patches under review among them. Entries are written 0600 and directories
 * made 0700 whatever the umask; a directory under the root made before this
 * is narrowed the first time a run writes into it (ownDirs).
 */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Why the cache at a root could not be written, once a run: the first failure
 * is one line on stderr (a full disk, a read-only or foreign directory), and
 * the run writes no more there. A server, whose writes come after its answer,
 * hands the line to its next client (pendingCacheNote).
 */
const failedRoots = new Set<string>();
let pendingNote: string | null = null;

function noteWriteFailure(root: string, e: unknown): void {
  if (failedRoots.has(root)) return;
  failedRoots.add(root);
  const code = (e as NodeJS.ErrnoException)?.code ?? 'error';
  const line = `callorder: cannot write the cache at ${root} (${code}): this run is not cached, and neither is the next until it can be` +
    `${code === 'ENOSPC' || code === 'EDQUOT' ? '; `callorder cache clear` empties it' : ''}\n`;
  // parse workers write facts too; their main thread meets the same failure and says it once
  if (!isMainThread) return;
  if (writesAfterAnswer) pendingNote = line;
  else if (noteSink) noteSink(line);
  else process.stderr.write(line);
}

let writesAfterAnswer = false;
let noteSink: ((line: string) => void) | null = null;

/** Where the failure note goes while a server runs a request: that client's stderr; null: this process's. */
export function cacheNotesTo(sink: ((line: string) => void) | null): void {
  noteSink = sink;
}

/** While a server writes a run's entries after its answer: a failure among them is told to the next client (server/server.ts). */
export function cacheWritesAfterAnswer(on: boolean): void {
  writesAfterAnswer = on;
}

/** The failure note a server owes its next client, once; null when none. */
export function pendingCacheNote(): string | null {
  const n = pendingNote;
  pendingNote = null;
  return n;
}

/** A new run: a cache that failed before is tried again, and a failure noted again. */
export function resetCacheFailures(): void {
  failedRoots.clear();
}

/**
 * How a facts entry of a file that gave no facts starts: it is the one-line
 * JSON of its outcome ({"ok":false,"note":…}); a text form of facts
 * (facts-text.ts) starts with the facts' own keys.
 */
export const FAILED = '{"ok":false';

export class EntryStore {
  private made = new Set<string>();
  readonly dir: string;

  constructor(readonly kind: EntryKind, readonly root = cacheRoot()) {
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
    // once a write here failed, the run writes no more here: a full disk is not filled again entry by entry
    if (failedRoots.has(this.root)) return null;
    try {
      if (!this.made.has(dir)) {
        ownDirs(this.root, dir);
        this.made.add(dir);
      }
      fs.writeFileSync(tmp, Buffer.concat([head, body]), { mode: FILE_MODE });
      fs.renameSync(tmp, file);
      return { file, payloadAt: head.length };
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* nothing more to do */
      }
      noteWriteFailure(this.root, e);
      return null;
    }
  }
}

/**
 * `dir` and every directory between it and the cache's root made 0700 (the
 * root too, when this makes it), and those below the root narrowed to 0700
 * when the user's and wider. The root itself, when it was there, is left as
 * the user made it: CALLORDER_ANALYSIS_CACHE may name a directory shared on
 * purpose, /tmp even, and what is in it is closed all the same.
 */
function ownDirs(root: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  for (let d = dir; d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) {
    const st = fs.statSync(d);
    if ((st.mode & 0o077) && (uid < 0 || st.uid === uid)) fs.chmodSync(d, DIR_MODE);
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
