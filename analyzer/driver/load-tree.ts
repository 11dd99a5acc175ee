// source → facts for a whole tree: discovery, then one parse per file, from
// the fact cache when it holds the file, in worker threads when there is
// enough to parse. The result is ordered by path whatever order the files
// were parsed in, so every later stage sees the same input for any --jobs.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileFacts } from '../parse/ir';
import { readBytes, DEFAULT_LIMITS, type ParseLimits } from '../parse/parse-file';
import { makeNormalizer } from '../parse/normalize';
import { discoverFiles, walkedMatcher } from '../source/discover';
import { checkTreeRoot } from '../source/snapshot';
import { factsOfBytes, leanOf, type FactsContext, type FileOutcome } from './file-facts';
import { BodyStore, type BodyRef } from './body-store';
import { factsFromText } from '../parse/facts-text';
import { chunkFeed, parseHere, runPool, shrinkingFeed, workersPay } from './parse-pool';
import { EntryStore, FAILED } from '../cache/store';
import { contentHash, factKey, factSettingsId } from '../cache/facts';
import type { Pack } from '../pack/load';
import { InputError } from '../util/errors';
import type { TreeFacts as ProgramInput } from '../program/program';
import type { Progress } from '../report/progress';

/** A tree's facts as loaded: the program's input, and where the bodies are read from when they stay on disk. */
export interface TreeFacts extends ProgramInput {
  /** with lean loading: where the function bodies are read from */
  bodies?: BodyStore;
}


export type { Progress };

export interface LoadOptions {
  include?: string[];
  exclude?: string[];
  limits?: ParseLimits;
  /** threads that parse; 1: this one */
  jobs?: number;
  /** cache root to read and write facts under; absent or null: no cache */
  cacheRoot?: string | null;
  /** fewer bytes than this to parse and no worker is started: starting one costs more than it saves */
  minParallelBytes?: number;
  /** leave function bodies on disk (body-store.ts); default: when the tree has maxBodyBytes or more of source */
  lean?: boolean;
  /** source bytes from which bodies stay on disk (--max-body-bytes; default LEAN_BYTES) */
  maxBodyBytes?: number;
  /**
   * read function bodies only in the files a run enters (discover.ts
   * walkedMatcher), as a check needs them; stats and graph read every body
   */
  walkedBodiesOnly?: boolean;
  onProgress?: (p: Progress) => void;
}

/** source bytes from which bodies stay on disk: facts take about 4 bytes of heap a byte of source */
export const LEAN_BYTES = 96 << 20;

/** The files of a tree that a pack (and --include/--exclude) selects, and what discovery noted. */
export interface TreeScan {
  root: string;
  files: string[];
  notes: string[];
  /** each file's size when it was found (0: cannot stat) */
  sizes: number[];
  /** with a cache: each file's fact key as it is now, or for a file that cannot be read `!` and the note why */
  keys?: string[];
  /** whether each file is read with its function bodies (LoadOptions.walkedBodiesOnly); absent: every file is */
  bodies?: boolean[];
}

/** Whether the scan's file i is read with its function bodies. */
function withBodies(scan: TreeScan, i: number): boolean {
  return scan.bodies?.[i] ?? true;
}

export function scanTree(root: string, pack: Pack, opts: LoadOptions = {}): TreeScan {
  checkTreeRoot(root);
  const include = opts.include?.length ? opts.include : pack.include;
  const exclude = [...pack.exclude, ...(opts.exclude ?? [])];
  const { files, notes } = discoverFiles(root, include, exclude);
  const scan: TreeScan = { root, files, notes, sizes: files.map((rel) => sizeOf(path.join(root, rel))) };
  const walked = opts.walkedBodiesOnly ? walkedMatcher(pack.include, pack.exclude, files) : null;
  if (walked) scan.bodies = files.map(walked);
  if (opts.cacheRoot) {
    const limits = opts.limits ?? DEFAULT_LIMITS;
    const settings = factSettingsId(pack.frontend, limits);
    scan.keys = files.map((rel, i) => {
      const b = readBytes(path.join(root, rel), rel, limits);
      return 'note' in b ? `!${b.note}` : factKey(settings, rel, contentHash(b), withBodies(scan, i));
    });
  }
  return scan;
}

/** Synchronous and on this thread: for tests and small trees. */
export function loadTree(root: string, pack: Pack, opts: LoadOptions = {}): TreeFacts {
  const scan = scanTree(root, pack, { ...opts, cacheRoot: null });
  const cx = contextOf(pack, opts);
  const out = new Collector(scan, cx, opts);
  for (let i = 0; i < scan.files.length; i++) out.put(i, out.parseHere(i));
  return out.result();
}

export async function loadTreeAsync(root: string, pack: Pack, opts: LoadOptions = {}, scan = scanTree(root, pack, opts)): Promise<TreeFacts> {
  // what bodies cost is the source of the files read with them: over a whole kernel a check reads KVM's alone,
  // and keeping those in memory spares writing (and, without a cache, deleting) an entry for every file
  const bodyBytes = scan.sizes.reduce((n, b, i) => n + (withBodies(scan, i) ? b : 0), 0);
  const lean = opts.lean ?? bodyBytes >= (opts.maxBodyBytes ?? LEAN_BYTES);
  // bodies left on disk need a store even without a cache: one for this run
  const cacheRoot = opts.cacheRoot ?? (lean ? runStore() : null);
  const cx = contextOf(pack, { ...opts, cacheRoot }, lean);
  const out = new Collector(scan, cx, opts);
  const misses: number[] = [];
  const hits: { i: number; key: string }[] = [];
  for (let i = 0; i < scan.files.length; i++) {
    const key = scan.keys?.[i];
    if (key && !key.startsWith('!') && cx.store && fs.existsSync(cx.store.pathOf(key))) hits.push({ i, key });
    else misses.push(i);
  }
  const jobs = Math.max(1, opts.jobs ?? 1);
  const missBytes = misses.reduce((n, i) => n + scan.sizes[i], 0);
  const parallel = workersPay(jobs, misses.length, missBytes, opts.minParallelBytes);

  // misses go to the workers largest first; a hit whose entry proves unsound joins them
  const queue = misses.map((i) => ({ i, size: scan.sizes[i] })).sort((a, b) => b.size - a.size || a.i - b.i);
  let pool: Promise<void> = Promise.resolve();
  // this thread is one of the `jobs` threads: it parses from the same feed once
  // the hits are read, so N threads cost N - 1 workers, and what it parses
  // needs no text form (file-facts.ts)
  const files = chunkFeed(queue.map((q) => q.i), (i) => {
    const read = out.read(i);
    if ('note' in read) {
      out.put(i, { ok: false, note: read.note });
      return null;
    }
    return { index: i, rel: scan.files[i], key: read.key, bytes: read.bytes, bodies: withBodies(scan, i) };
  });
  const feed = shrinkingFeed(files, missBytes, jobs);
  if (parallel) {
    pool = runPool(Math.min(jobs, misses.length) - 1, { frontend: pack.frontend, limits: cx.limits, cacheRoot, lean },
      feed, (r) => out.put(r.index, r));
  }
  // the hits are read here while the workers parse the misses; a turn of
  // the event loop now and then lets the workers' answers in
  let sliceBytes = 0;
  const unsound: number[] = [];
  for (const h of hits) {
    const got = cx.store!.readRaw(h.key);
    if (!got) {
      unsound.push(h.i);
      continue;
    }
    // a file that gave no facts: analyze() stores its note as the entry (driver/analyze.ts)
    if (got.bytes.toString('utf8', got.payloadAt, got.payloadAt + FAILED.length) === FAILED) {
      out.put(h.i, JSON.parse(got.bytes.toString('utf8', got.payloadAt)) as FileOutcome);
      continue;
    }
    out.put(h.i, lean ? leanOf(got.file, got.bytes, got.payloadAt, got.payloadAt) : { ok: true, text: got.bytes.toString('utf8', got.payloadAt) });
    sliceBytes += got.bytes.length;
    if (sliceBytes > 1 << 20) {
      sliceBytes = 0;
      await turn();
    }
  }
  // the feed gives what read() gave: a Buffer
  await parseHere(feed, (job) => out.put(job.index, factsOfBytes(job.bytes as Buffer, job.rel, job.key, cx, job.bodies)));
  await pool;
  for (const i of unsound) {
    out.put(i, out.parseHere(i));
    await turn();
  }
  return out.result();
}

/** A store for one run's facts entries, removed when the process exits. */
function runStore(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-facts-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sizeOf(abs: string): number {
  try {
    return fs.statSync(abs).size;
  } catch {
    return 0;
  }
}

function contextOf(pack: Pack, opts: LoadOptions, lean = false): FactsContext & { settings: string } {
  return {
    normalize: makeNormalizer(pack.frontend),
    limits: opts.limits ?? DEFAULT_LIMITS,
    store: opts.cacheRoot ? new EntryStore('facts', opts.cacheRoot) : null,
    settings: opts.cacheRoot ? factSettingsId(pack.frontend, opts.limits ?? DEFAULT_LIMITS) : '',
    lean,
    objects: true,
  };
}

/** Gathers each file's outcome in its slot and builds the path-ordered result. */
class Collector {
  private facts: (FileFacts | null)[];
  private notes: (string[] | null)[];
  private transient = false;
  private bodies: BodyStore | null;
  private done = 0;
  private bytesDone = 0;
  private bytesTotal = 0;

  constructor(private scan: TreeScan, private cx: FactsContext & { settings: string }, private opts: LoadOptions) {
    const n = scan.files.length;
    this.facts = new Array<FileFacts | null>(n).fill(null);
    this.notes = new Array<string[] | null>(n).fill(null);
    this.bodies = cx.lean ? new BodyStore() : null;
    for (const b of scan.sizes) this.bytesTotal += b;
  }

  /** A file's bytes and their fact key (null without a cache). */
  read(i: number): { bytes: Buffer; key: string | null } | { note: string } {
    const rel = this.scan.files[i];
    const b = readBytes(path.join(this.scan.root, rel), rel, this.cx.limits);
    const key = 'note' in b ? `!${b.note}` : this.cx.store ? factKey(this.cx.settings, rel, contentHash(b), withBodies(this.scan, i)) : null;
    // changed since the scan: the facts are of a file the scan's keys do not describe
    if (this.scan.keys && key !== this.scan.keys[i]) this.transient = true;
    return 'note' in b ? b : { bytes: b, key };
  }

  parseHere(i: number): FileOutcome {
    const r = this.read(i);
    if ('note' in r) return { ok: false, note: r.note };
    return factsOfBytes(r.bytes, this.scan.files[i], r.key, this.cx, withBodies(this.scan, i));
  }

  put(i: number, r: FileOutcome): void {
    if (!r.ok) {
      this.notes[i] = [r.note];
      if (r.transient) this.transient = true;
      this.progress(0);
      return;
    }
    const f = 'facts' in r ? r.facts : 'text' in r ? factsFromText(r.text) : this.skeleton(r.skeleton, r.bodies);
    shareFileName(f);
    this.facts[i] = f;
    this.notes[i] = f.notes;
    this.progress(f.bytes);
  }

  private skeleton(text: string, bodies: BodyRef[]): FileFacts {
    const f = JSON.parse(text) as FileFacts;
    const store = this.bodies ?? (this.bodies = new BodyStore());
    f.functions.forEach((fn, k) => store.attach(fn, bodies[k]));
    return f;
  }

  private progress(bytes: number): void {
    this.done++;
    this.bytesDone += bytes;
    this.opts.onProgress?.({ done: this.done, total: this.scan.files.length, bytesDone: this.bytesDone, bytesTotal: this.bytesTotal });
  }

  result(): TreeFacts {
    const files: FileFacts[] = [];
    const notes = [...this.scan.notes];
    let bytes = 0;
    for (let i = 0; i < this.facts.length; i++) {
      const f = this.facts[i];
      if (f) {
        files.push(f);
        bytes += f.bytes;
      }
      for (const n of this.notes[i] ?? []) notes.push(n); // a spread of a huge list overflows the stack
    }
    const out: TreeFacts = { root: this.scan.root, files, notes: sortByPath(notes), bytes };
    if (this.transient) out.transient = true;
    if (this.bodies) out.bodies = this.bodies;
    return out;
  }
}

/** One string for the file's name in all its facts, not a copy each (JSON.parse makes copies). */
function shareFileName(f: FileFacts): void {
  const file = f.file;
  for (const x of f.functions) x.file = file;
  for (const x of f.structs) x.file = file;
  for (const x of f.globals) x.file = file;
  for (const x of f.tables) x.file = file;
  for (const x of f.macros) x.file = file;
}

/** Notes start with the path they are about; stable, so one file's notes keep their order. */
export function sortByPath(notes: string[]): string[] {
  const pathOf = (n: string) => {
    const m = /^[^:]*/.exec(n);
    return m ? m[0] : n;
  };
  return notes
    .map((n, k) => ({ n, k, p: pathOf(n) }))
    .sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : a.k - b.k))
    .map((x) => x.n);
}
