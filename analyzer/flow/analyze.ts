// One analysis of one tree in memory: facts per file (cached by content),
// the program, the pack's rules (cached by the content of the whole tree).
// check, review and the pre-commit hook all come through here, so a tree
// gives the same findings whichever way it was read.

import type { Pack } from '../pack/load';
import { frontendKey } from '../pack/load';
import type { FileFacts } from '../parse/ir';
import { parseBuffer, DEFAULT_LIMITS, type ParseLimits, type ParseOutcome } from '../parse/parse-file';
import { makeNormalizer } from '../source/normalize';
import type { SourceTree } from '../source/snapshot';
import { makeProgram } from '../program/callgraph';
import { runRules, entriesOf } from './run';
import { changeIsInvisible, fnKey, moveFindings, skeleton, visitRecorder, type Change } from './incremental';
import type { Finding } from './finding';
import { Cache, codeKey, openCache, sha } from '../cache/store';

export interface AnalysisStats {
  files: number;
  bytes: number;
  functions: number;
  entries: number;
  rules: number;
  notes: string[];
}

export interface Analysis {
  findings: Finding[];
  stats: AnalysisStats;
  /** where the result is cached, for a later analysis of a nearby tree */
  key?: string;
  /** how the result was had: a full run, the cached result of this tree, or a nearby tree's result moved */
  how?: 'run' | 'cache' | 'near';
}

export interface AnalyzeOptions {
  limits?: ParseLimits;
  /** only rules with these ids */
  entry?: string[];
  /** false: neither read nor write the cache */
  cache?: boolean;
  /** the analysis of a tree this one differs from a little (HEAD, the tree before a patch) */
  near?: Analysis;
}

/** What the result cache holds: everything but the discovery notes, which belong to how the tree was read. */
interface CachedResult {
  findings: Finding[];
  stats: AnalysisStats;
  /** path and content key of every analysed file */
  files: [string, string][];
  /** the functions the engine walked into (fnKey) */
  visited: string[];
}

/** More changed files than this and a full run is about as quick as proving it unneeded. */
const MAX_NEAR_CHANGES = 16;

function packKey(pack: Pack): string {
  const { include, exclude, frontend, program, engine, rules } = pack;
  return sha(JSON.stringify({ include, exclude, frontend, program, engine, rules }));
}

export function contentKey(f: Buffer | { note: string }): string {
  return Buffer.isBuffer(f) ? sha(f) : `note:${f.note}`;
}

export function analyze(src: SourceTree, pack: Pack, opts: AnalyzeOptions = {}): Analysis {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const cache = opts.cache === false ? null : openCache();
  const paths = [...src.files.keys()].sort();
  const keys = paths.map((rel) => contentKey(src.files.get(rel)!));
  const limitsKey = `${limits.maxFileSize}/${limits.timeoutMs}`;
  const resultKey = sha(codeKey(), packKey(pack), limitsKey, JSON.stringify(opts.entry ?? []),
    ...paths.flatMap((p, i) => [p, keys[i]]));
  const hit = cache?.get<CachedResult>('results', resultKey);
  if (hit) return withDiscoveryNotes(hit, src, resultKey, 'cache');
  const facts = new FactStore(pack, limits, cache);
  const files = paths.map((p, i): [string, string] => [p, keys[i]]);

  const near = cache && opts.near?.key ? cache.get<CachedResult>('results', opts.near.key) : undefined;
  const moved = near ? fromNear(near, src, files, facts, pack) : null;
  if (moved) {
    cache?.put('results', resultKey, moved);
    return withDiscoveryNotes(moved, src, resultKey, 'near');
  }

  const outcomes = files.map(([rel, key]) => facts.get(rel, key, src.files.get(rel)!));
  const parseNotes: string[] = [];
  const parsed: FileFacts[] = [];
  let bytes = 0;
  for (const r of outcomes) {
    if (r.ok) {
      parsed.push(r.facts);
      bytes += r.facts.bytes;
      parseNotes.push(...r.facts.notes);
    } else parseNotes.push(r.note);
  }
  const prog = makeProgram({ root: src.label, files: parsed, notes: [], bytes }, pack);
  const rec = visitRecorder();
  const res = runRules(prog, pack, opts.entry, [rec.hooks]);
  for (const r of pack.rules) {
    if (opts.entry?.length && !opts.entry.includes(r.id)) continue;
    for (const e of entriesOf(r, prog)) for (const fn of prog.functions.get(e.function) ?? []) rec.visited.add(fnKey(fn));
  }
  const result: CachedResult = {
    findings: res.findings,
    stats: {
      files: parsed.length,
      bytes,
      functions: parsed.reduce((n, f) => n + f.functions.length, 0),
      entries: res.entriesRun,
      rules: pack.rules.length,
      notes: [...parseNotes, ...res.missingEntries.map((e) => `entry ${e}: not defined in the analysed files`), ...res.partial],
    },
    files,
    visited: [...rec.visited].sort(),
  };
  // a parse cut short by the time budget depends on the machine's load, not on the content
  if (!parseNotes.some((n) => /--timeout/.test(n))) cache?.put('results', resultKey, result);
  return withDiscoveryNotes(result, src, resultKey, 'run');
}

/** The result of `near` moved to this tree, when the change cannot alter it; null otherwise. */
function fromNear(near: CachedResult, src: SourceTree, files: [string, string][], facts: FactStore, pack: Pack): CachedResult | null {
  if (!near.visited || !near.files || near.files.length !== files.length) return null;
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
  if (!changeIsInvisible(changes, others, new Set(near.visited), pack)) return null;
  const findings = moveFindings(near.findings, changes);
  if (!findings) return null;
  const bytes = near.stats.bytes + changes.reduce((n, c) => n + c.after.bytes - c.before.bytes, 0);
  return { findings, stats: { ...near.stats, bytes }, files, visited: near.visited };
}

function withDiscoveryNotes(r: CachedResult, src: SourceTree, key: string, how: Analysis['how']): Analysis {
  return { findings: r.findings, stats: { ...r.stats, notes: [...src.notes, ...r.stats.notes] }, key, how };
}

/** Facts per file content, and their skeletons (bodies left out) for the near-tree check. */
class FactStore {
  private normalize;
  private base: string;

  constructor(private pack: Pack, private limits: ParseLimits, private cache: Cache | null) {
    this.normalize = makeNormalizer(pack.frontend);
    this.base = sha(codeKey(), sha(frontendKey(pack)), `${limits.maxFileSize}/${limits.timeoutMs}`);
  }

  private key(rel: string, content: string): string {
    return sha(this.base, rel, content);
  }

  cached(rel: string, content: string): ParseOutcome | undefined {
    return this.cache?.get<ParseOutcome>('facts', this.key(rel, content));
  }

  get(rel: string, content: string, f: Buffer | { note: string }): ParseOutcome {
    if (!Buffer.isBuffer(f)) return { ok: false, note: f.note };
    const hit = this.cached(rel, content);
    if (hit) return hit;
    const r = parseBuffer(f, rel, this.normalize, this.limits);
    if (r.ok || !/--timeout/.test(r.note)) {
      this.cache?.put('facts', this.key(rel, content), r);
      if (r.ok) this.cache?.put('skeleton', this.key(rel, content), skeleton(r.facts));
    }
    return r;
  }

  /** null: the file has no facts (skipped); undefined: not in the cache. */
  skeleton(rel: string, content: string): FileFacts | null | undefined {
    if (content.startsWith('note:')) return null;
    const k = this.key(rel, content);
    const hit = this.cache?.get<FileFacts>('skeleton', k);
    if (hit) return hit;
    const full = this.cached(rel, content);
    if (!full) return undefined;
    if (!full.ok) return null;
    const s = skeleton(full.facts);
    this.cache?.put('skeleton', k, s);
    return s;
  }
}
