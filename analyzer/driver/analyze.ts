// One analysis of one tree in memory: facts per file (cached by content; the
// files the cache does not hold are parsed in worker threads when there are
// enough of them, parse-pool.ts), the program, the pack's rules (cached by the
// content of the whole tree). check, review and the pre-commit hook all come
// through here, so a tree gives the same findings whichever way it was read
// and whatever --jobs.

import type { Pack } from '../pack/load';
import type { FileFacts } from '../parse/ir';
import { parseBuffer, sourceOf, DEFAULT_LIMITS, type ParseLimits, type ParseOutcome } from '../parse/parse-file';
import { makeNormalizer } from '../parse/normalize';
import { reparseEdit } from '../parse/reparse';
import type { SourceTree } from '../source/snapshot';
import { makeProgram } from '../program/callgraph';
import { emptyRoleNotes } from '../program/roles';
import { runRules, entriesOf, type UnitResult } from '../flow/run';
import type { SharedSummaries } from '../flow/summaries';
import { missingEntryNotes } from '../pack/entries';
import { unknownNameNotes } from '../rules/names';
import { changeSetOf, moveFindings, skeleton, touchedBy, type Change } from './incremental';
import type { Finding } from '../flow/finding';
import { Cache, FAILED, openCache, sha, shaOf } from '../cache/store';
import { contentHash, factKey, factSettingsId } from '../cache/facts';
import { chunkFeed, parseHere, runPool, shrinkingFeed, workersPay } from './parse-pool';
import { factsToText, factsFromText } from '../parse/facts-text';
import type { Progress, TreeFacts } from './load-tree';
import type { Program } from '../program/program';
import { walkedMatcher } from '../source/discover';
import { Lru } from '../util/lru';
import type { AnalysisStats } from '../report/model';

export type { AnalysisStats };

export interface Analysis {
  findings: Finding[];
  stats: AnalysisStats;
  /** where the result is cached, for a later analysis of a nearby tree */
  key?: string;
  /** how the result was had: a full run, the cached result of this tree, or a nearby tree's result moved */
  how?: 'run' | 'cache' | 'near';
  /** entry functions whose findings came from the nearby tree, moved to the new lines */
  reused?: string[];
  /** the tree analysed: an analysis of a nearby tree re-reads only the lines around an edit of a changed file */
  tree?: SourceTree;
  /** blind summaries the run took from the last run in this process (SharedSummaries.carryFrom) */
  carried?: number;
  /** the rules' entry functions the tree does not define: what a change that removes one loses (the hook and review note it) */
  missing?: string[];
}

export interface AnalyzeOptions {
  limits?: ParseLimits;
  /** only rules with these ids */
  entry?: string[];
  /** false: neither read nor write the cache */
  cache?: boolean;
  /** the analysis of a tree this one differs from a little (HEAD, the tree before a patch) */
  near?: Analysis;
  /**
   * What names this tree from one run to the next (a directory's path): its
   * last result is the nearby one when `near` is not given.
   */
  lastOf?: string;
  /** threads that parse the files the cache does not hold; 1 (the default): this one */
  jobs?: number;
  /** fewer bytes than this to parse and no worker is started: starting one costs more than it saves */
  minParallelBytes?: number;
  onProgress?: (p: Progress) => void;
}

/** What the result cache holds: everything but the discovery notes, which belong to how the tree was read. */
interface CachedResult {
  findings: Finding[];
  stats: AnalysisStats;
  /** path and content key of every analysed file */
  files: [string, string][];
  /** each entry function's findings and what they depend on */
  units: UnitResult[];
}

/** More changed files than this and a full run is about as quick as proving it unneeded. */
const MAX_NEAR_CHANGES = 16;

function packKey(pack: Pack): string {
  // ruleFile too: a missing entry's note names the pack file and key it stands at (pack/entries.ts)
  const { include, exclude, frontend, program, engine, rules, ruleFile } = pack;
  return sha(JSON.stringify({ include, exclude, frontend, program, engine, rules, ruleFile }));
}

/**
 * Where a tree's result is cached: the pack, the limits, the rules asked for
 * and every analysed file's path and content key. The analyzer's own code is
 * in every entry's version (cache/store.ts).
 */
export function resultKeyOf(pack: Pack, limits: ParseLimits, entry: string[] | undefined, files: [string, string][]): string {
  return shaOf(resultKeyParts(pack, limits, entry, files));
}

// a generator, not a spread into sha(): two parts per file overflowed the stack on 7.2's 63,787 files
function* resultKeyParts(pack: Pack, limits: ParseLimits, entry: string[] | undefined, files: [string, string][]): Generator<string> {
  yield packKey(pack);
  yield `${limits.maxFileSize}/${limits.timeoutMs}`;
  yield JSON.stringify(entry ?? []);
  for (const [rel, key] of files) {
    yield rel;
    yield key;
  }
}

export function contentKey(f: Buffer | { note: string }): string {
  return Buffer.isBuffer(f) ? contentHash(f) : `note:${f.note}`;
}

/**
 * One analysis session, as rust-analyzer's AnalysisHost: what one run leaves
 * for the next in the same process (facts and skeletons kept in memory by
 * their cache key, the classes of trees the near-tree proof joined, the blind
 * summaries of the last run, the cache writes held until an answer is out).
 * A command line run has one; the resident server keeps one for all its
 * requests; a test makes its own, so nothing leaks from one to another.
 */
export class AnalysisHost {
  /**
   * Blind summaries carried from one run to the next (a hook's two trees, a
   * review's patches, `check --since`, a server's requests): the last run's,
   * under the class of its tree. Trees are of one class when the near-tree
   * proof found their tree-wide facts the same but for lines (the first of
   * them names it); otherwise a tree is a class of its own. Whether a summary
   * holds in the next program is then a matter of its functions' bodies
   * (SharedSummaries.carryFrom). --no-cache neither takes nor leaves any.
   */
  readonly classes = new Lru<string>(4096);
  carried: { cls: string; pack: string; store: SharedSummaries } | null = null;
  /**
   * Cache writes held back until the answer is out, by the resident server
   * (server/server.ts), which writes them before it takes the next request;
   * null: written at once. An entry lost to a server killed in between is a
   * miss for the next run, no more.
   */
  private held: (() => void)[] | null = null;
  /**
   * Outcomes and skeletons kept between analyses, by their cache key, up to a
   * total of source bytes: a hook's two trees, a review's patches, `check
   * --since` and a server's requests read the same files' facts again and
   * again. One copy serves every analysis, since facts are never written to
   * once made (program.ts copies what it extends), and being one object is
   * what lets a blind summary hold in the next program (SharedSummaries.carryFrom).
   */
  readonly resident: Resident = { outcomes: new Lru<ParseOutcome>(KEEP_SOURCE_BYTES), skeletons: new Lru<FileFacts | null>(KEEP_SOURCE_BYTES) };

  holdCacheWrites(): void {
    this.held ??= [];
  }

  flushCacheWrites(): void {
    const w = this.held;
    if (!w?.length) return;
    this.held = [];
    for (const f of w) f();
  }

  /** a cache write, now or when the server flushes them */
  readonly write = (f: () => void): void => {
    if (this.held) this.held.push(f);
    else f();
  };

  async analyze(src: SourceTree, pack: Pack, opts: AnalyzeOptions = {}): Promise<Analysis> {
    return analyzeIn(this, src, pack, opts);
  }
}

interface Resident {
  outcomes: Lru<ParseOutcome>;
  skeletons: Lru<FileFacts | null>;
}

async function analyzeIn(host: AnalysisHost, src: SourceTree, pack: Pack, opts: AnalyzeOptions): Promise<Analysis> {
  const { classes, carried, write } = host;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const cache = opts.cache === false ? null : openCache();
  const paths = [...src.files.keys()].sort();
  const keys = paths.map((rel) => contentKey(src.files.get(rel)!));
  const listed = paths.map((p, i): [string, string] => [p, keys[i]]);
  const resultKey = resultKeyOf(pack, limits, opts.entry, listed);
  const lastKey = opts.lastOf ? sha('last result of', opts.lastOf, resultKeyOf(pack, limits, opts.entry, [])) : null;
  const remember = (r: CachedResult, how: Analysis['how'], reused?: string[]) => {
    // a parse cut short by the time budget depends on the machine's load, not on the content
    if (cache && !r.stats.notes.some((n) => /--timeout/.test(n))) {
      if (how !== 'cache') write(() => cache.put('results', resultKey, r));
      if (lastKey) write(() => cache.put('last', lastKey, { key: resultKey }));
    }
    return { ...withDiscoveryNotes(r, src, resultKey, how), ...(reused ? { reused } : {}), tree: src };
  };
  const hit = cache?.get<CachedResult>('results', resultKey);
  if (hit) {
    if (!classes.get(resultKey)) classes.set(resultKey, resultKey, 1);
    return remember(hit, 'cache');
  }
  const files = paths.map((p, i): [string, string] => [p, keys[i]]);

  const nearKey = opts.near?.key ?? (lastKey ? cache?.get<{ key: string }>('last', lastKey)?.key : undefined);
  const near = cache && nearKey ? cache.get<CachedResult>('results', nearKey) : undefined;
  // the nearby tree's version of a file: in memory when that tree was analysed in this process, else as cached
  const nearKeys = new Map(near?.files ?? []);
  const walked = walkedMatcher(pack.include, pack.exclude, paths);
  const facts: FactStore = new FactStore(host, pack, limits, cache, (rel) => !walked || walked(rel), (rel): Buffer | undefined => {
    const f = opts.near?.tree?.files.get(rel);
    if (f) return Buffer.isBuffer(f) ? f : undefined;
    const key = nearKeys.get(rel);
    return key ? facts.source(key) : undefined;
  });
  const plan = near?.units ? reusePlan(near, src, files, facts, pack) : null;
  // the near-tree proof held: this tree's tree-wide facts are the nearby one's but for lines
  const cls = (plan && nearKey ? classes.get(nearKey) ?? nearKey : null) ?? resultKey;
  if (cache) classes.set(resultKey, cls, 1);
  if (plan && plan.all) return remember(plan.all, 'near', plan.all.units.map((u) => u.entry));

  const outcomes = await facts.all(files, src, opts);
  const parseNotes: string[] = [];
  const parsed: FileFacts[] = [];
  let bytes = 0;
  for (const r of outcomes) {
    if (r.ok) {
      parsed.push(r.facts);
      bytes += r.facts.bytes;
      for (const n of r.facts.notes) parseNotes.push(n); // a spread of a huge list overflows the stack
    } else parseNotes.push(r.note);
  }
  const pk = packKey(pack);
  const carry = cache && carried?.cls === cls && carried.pack === pk ? carried.store : undefined;
  const { findings, stats, units, summaries } = runPack({ root: src.label, files: parsed, notes: parseNotes, bytes }, pack, opts, plan?.reuse, carry);
  if (cache) host.carried = { cls, pack: pk, store: summaries };
  const reused = plan ? units.filter((u) => plan.reuse.get(u.entry) === u).map((u) => u.entry) : undefined;
  return { ...remember({ findings, stats, files, units }, 'run', reused), carried: summaries.carried };
}

/**
 * The program of a tree's facts and the pack's rules over it, with the
 * statistics a report prints: what analyze() runs on a miss, and check on a
 * tree too large for memory (commands/check.ts).
 */
export function runPack(tree: TreeFacts, pack: Pack, opts: { entry?: string[] },
  reuse?: Map<string, UnitResult>, carry?: SharedSummaries):
  { prog: Program; findings: Finding[]; stats: AnalysisStats; units: UnitResult[]; summaries: SharedSummaries } {
  const prog = makeProgram(tree, pack);
  // an entry the tree lacks is a note naming its rule and key; the other rules run all the same
  const keyed = missingEntryNotes(pack, (fn) => prog.functions.has(fn), opts.entry);
  const res = runRules(prog, pack, opts.entry, reuse && ((e) => reuse.get(e)), { carry });
  const entryNotes: string[] = [];
  for (const e of res.missingEntries) for (const n of keyed.get(e) ?? [`entry ${e}: not defined in the analysed files`]) entryNotes.push(n);
  // a rule that runs but names a field or function the tree lacks checks nothing through that key: say so
  const skipped = new Set(pack.rules.filter((r) => r.entries?.length && !entriesOf(r, prog, pack.roles).some((e) => prog.functions.has(e.function))).map((r) => r.id));
  for (const n of emptyRoleNotes(pack, prog, opts.entry)) entryNotes.push(n);
  for (const n of unknownNameNotes(pack, prog, opts.entry, skipped)) entryNotes.push(n);
  const stats: AnalysisStats = {
    files: tree.files.length,
    bytes: tree.bytes,
    functions: tree.files.reduce((n, f) => n + f.functions.length, 0),
    entries: res.entriesRun,
    rules: pack.rules.length,
    notes: [...tree.notes, ...entryNotes, ...res.partial],
  };
  return { prog, findings: res.findings, stats, units: res.units, summaries: res.summaries };
}

/**
 * What of `near` holds for this tree: its whole result moved to the new
 * lines (`all`) when no entry could see the change, otherwise the entries
 * that could not (`reuse`, their findings moved); null when a tree-wide fact
 * changed or the file list did.
 */
function reusePlan(near: CachedResult, src: SourceTree, files: [string, string][], facts: FactStore, pack: Pack):
  { all?: CachedResult; reuse: Map<string, UnitResult> } | null {
  if (!near.files || near.files.length !== files.length) return null;
  const changes: Change[] = [];
  const others: FileFacts[] = [];
  for (const [i, [rel, key]] of files.entries()) {
    const [prevRel, prevKey] = near.files[i];
    if (prevRel !== rel) return null;
    if (prevKey === key) {
      const skel = facts.skeleton(rel, key);
      if (skel === undefined) return null;
      if (skel) others.push(skel);
      continue;
    }
    if (changes.length >= MAX_NEAR_CHANGES) return null;
    const before = facts.cached(rel, prevKey);
    const after = facts.get(rel, key, src.files.get(rel)!);
    if (!before?.ok || !after.ok) return null;
    changes.push({ path: rel, before: before.facts, after: after.facts });
  }
  const cs = changeSetOf(changes, others, pack);
  if (!cs) return null;
  const reuse = new Map<string, UnitResult>();
  for (const u of near.units) {
    if (touchedBy(u, cs)) continue;
    const moved = moveFindings(u.findings, changes);
    if (moved) reuse.set(u.entry, { ...u, findings: moved });
  }
  if (reuse.size < near.units.length) return { reuse };
  const findings = moveFindings(near.findings, changes);
  if (!findings) return { reuse };
  const delta = (f: (x: FileFacts) => number) => changes.reduce((n, c) => n + f(c.after) - f(c.before), 0);
  const stats = { ...near.stats, bytes: near.stats.bytes + delta((x) => x.bytes), functions: near.stats.functions + delta((x) => x.functions.length) };
  return { all: { findings, stats, files, units: [...reuse.values()] }, reuse };
}

function withDiscoveryNotes(r: CachedResult, src: SourceTree, key: string, how: Analysis['how']): Analysis {
  const missing = r.units.filter((u) => u.missing).map((u) => u.entry);
  return { findings: r.findings, stats: { ...r.stats, notes: [...src.notes, ...r.stats.notes] }, key, how, missing };
}

/** Facts of this many bytes of source are kept in memory between the analyses of one session. */
const KEEP_SOURCE_BYTES = 16 << 20;

function weightOf(r: ParseOutcome): number {
  return r.ok ? r.facts.bytes : 0;
}

function sizeOf(f: Buffer | { note: string }): number {
  return Buffer.isBuffer(f) ? f.length : 0;
}

/** Facts per file content, and their skeletons (bodies left out) for the near-tree check. */
class FactStore {
  private normalize;
  private base: string;

  /** `bodies`: whether a file's functions are read with their bodies (discover.ts walkedMatcher) */
  private resident: Resident;
  private write: (f: () => void) => void;

  constructor(host: AnalysisHost, private pack: Pack, private limits: ParseLimits, private cache: Cache | null,
    private bodies: (rel: string) => boolean, private nearFile?: (rel: string) => Buffer | undefined) {
    this.resident = host.resident;
    this.write = host.write;
    this.normalize = makeNormalizer(pack.frontend);
    this.base = factSettingsId(pack.frontend, limits);
  }

  private key(rel: string, content: string): string {
    return factKey(this.base, rel, content, this.bodies(rel));
  }

  /** what this analysis parsed or read: the nearby-tree check reads a changed file's two versions, the run then needs them again */
  private parsed = new Map<string, ParseOutcome>();

  /**
   * A facts entry is the text form of the facts (facts-text.ts), which the
   * parse workers write too; a file that gave no facts is stored as the
   * one-line JSON of its outcome, which no text form starts with.
   */
  cached(rel: string, content: string): ParseOutcome | undefined {
    const k = this.key(rel, content);
    // --no-cache reads nothing kept, in memory or on disk
    const parsed = this.parsed.get(k) ?? (this.cache ? this.resident.outcomes.get(k) : undefined);
    if (parsed) return parsed;
    const text = this.cache?.store('facts').read(k);
    if (text == null) return undefined;
    let r: ParseOutcome;
    try {
      r = text.startsWith(FAILED) ? (JSON.parse(text) as ParseOutcome) : { ok: true, facts: factsFromText(text) };
    } catch {
      return undefined;
    }
    // the nearby-tree check and the re-read of an edit ask for the same old facts: one copy, whose
    // functions the edit's facts share up to the edit, which the comparison of bodies then sees at once
    this.parsed.set(k, r);
    this.resident.outcomes.set(k, r, weightOf(r));
    return r;
  }

  get(rel: string, content: string, f: Buffer | { note: string }): ParseOutcome {
    if (!Buffer.isBuffer(f)) return { ok: false, note: f.note };
    const hit = this.cached(rel, content);
    if (hit) return hit;
    // the objects a worker's text or a cached file's give back (parse-file.ts), whichever way they come
    const r = this.keep(rel, content, this.edited(rel, f) ?? parseBuffer(f, rel, this.normalize, this.limits, this.bodies(rel)), false, undefined, f);
    this.parsed.set(this.key(rel, content), r);
    return r;
  }

  /** The facts of `f` from the nearby tree's version of the file, when only the lines around the edit need reading (reparse.ts). */
  private edited(rel: string, f: Buffer): ParseOutcome | null {
    // the window is read with its bodies, which a file without them has none of to compare
    const old = this.bodies(rel) ? this.nearFile?.(rel) : undefined;
    if (!old) return null;
    const before = this.cached(rel, contentKey(old));
    if (!before?.ok) return null;
    const a = sourceOf(old, rel, this.limits);
    const b = sourceOf(f, rel, this.limits);
    if ('note' in a || 'note' in b || a.notes.length || b.notes.length) return null;
    const facts = reparseEdit({ before: a.text, facts: before.facts, after: b.text }, rel, this.normalize, this.limits);
    return facts && { ok: true, facts };
  }

  /** Every file's outcome in the order of files; misses in worker threads when there are enough of them. */
  async all(files: [string, string][], src: SourceTree, opts: AnalyzeOptions): Promise<ParseOutcome[]> {
    const out: (ParseOutcome | undefined)[] = new Array(files.length);
    const sizes = files.map(([rel]) => sizeOf(src.files.get(rel)!));
    const bytesTotal = sizes.reduce((n, b) => n + b, 0);
    let done = 0;
    let bytesDone = 0;
    const put = (i: number, r: ParseOutcome) => {
      out[i] = r;
      done++;
      bytesDone += sizes[i];
      opts.onProgress?.({ done, total: files.length, bytesDone, bytesTotal });
    };
    const misses: number[] = [];
    for (const [i, [rel, key]] of files.entries()) {
      const f = src.files.get(rel)!;
      const hit = Buffer.isBuffer(f) ? this.cached(rel, key) : { ok: false as const, note: f.note };
      if (hit) put(i, hit);
      else misses.push(i);
    }
    const jobs = Math.max(1, opts.jobs ?? 1);
    const missBytes = misses.reduce((n, i) => n + sizes[i], 0);
    // largest first, so the threads stay busy to the end; this thread is one of the `jobs` and parses from the same feed
    const queue = [...misses].sort((a, b) => sizes[b] - sizes[a] || a - b);
    const feed = shrinkingFeed(chunkFeed(queue, (i) =>
      ({ index: i, rel: files[i][0], key: null, bytes: src.files.get(files[i][0]) as Buffer, bodies: this.bodies(files[i][0]) })
    ), missBytes, jobs);
    let pool: Promise<void> = Promise.resolve();
    if (workersPay(jobs, misses.length, missBytes, opts.minParallelBytes)) {
      const init = { frontend: this.pack.frontend, limits: this.limits, cacheRoot: null, lean: false };
      pool = runPool(Math.min(jobs, misses.length) - 1, init, feed, (r) => {
        const [rel, key] = files[r.index];
        if (!r.ok) put(r.index, this.keep(rel, key, r, !!r.transient));
        else if ('text' in r) put(r.index, this.keep(rel, key, { ok: true, facts: factsFromText(r.text) }, false, r.text, src.files.get(rel) as Buffer));
      });
    }
    const here = (i: number) => put(i, this.get(files[i][0], files[i][1], src.files.get(files[i][0])!));
    await parseHere(feed, (j) => here(j.index));
    await pool;
    // a file no thread answered for (none should be) is parsed here
    for (const i of misses) if (!out[i]) here(i);
    return out as ParseOutcome[];
  }

  /** Stores an outcome worth keeping (not one of the moment: a timeout, a dead worker) and returns it. */
  private keep(rel: string, content: string, r: ParseOutcome, transient: boolean, text?: string, bytes?: Buffer): ParseOutcome {
    if (!this.cache || transient || (!r.ok && (r.transient || /--timeout/.test(r.note)))) return r;
    const k = this.key(rel, content);
    this.resident.outcomes.set(k, r, weightOf(r));
    const cache = this.cache;
    if (r.ok) {
      this.write(() => {
        cache.store('facts').write(k, text ?? factsToText(r.facts));
        cache.put('skeleton', k, skeleton(r.facts));
        if (bytes) cache.store('source').write(content, bytes.toString('latin1'));
      });
    } else this.write(() => cache.store('facts').write(k, JSON.stringify({ ok: false, note: r.note })));
    return r;
  }

  /** A file's bytes by content key, as keep() left them. */
  source(content: string): Buffer | undefined {
    const text = this.cache?.store('source').read(content);
    return text == null ? undefined : Buffer.from(text, 'latin1');
  }

  /** null: the file has no facts (skipped); undefined: not in the cache. */
  skeleton(rel: string, content: string): FileFacts | null | undefined {
    if (content.startsWith('note:')) return null;
    const k = this.key(rel, content);
    const kept = this.cache ? this.resident.skeletons.get(k) : undefined;
    if (kept !== undefined) return kept;
    const hit = this.cache?.get<FileFacts>('skeleton', k);
    if (hit) {
      this.resident.skeletons.set(k, hit, hit.bytes);
      return hit;
    }
    const full = this.cached(rel, content);
    if (!full) return undefined;
    if (!full.ok) return null;
    const s = skeleton(full.facts);
    if (this.cache) {
      this.cache.put('skeleton', k, s);
      this.resident.skeletons.set(k, s, s.bytes);
    }
    return s;
  }
}
