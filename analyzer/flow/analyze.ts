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
import { runRules } from './run';
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
}

export interface AnalyzeOptions {
  limits?: ParseLimits;
  /** only rules with these ids */
  entry?: string[];
  /** false: neither read nor write the cache */
  cache?: boolean;
}

/** What the result cache holds: everything but the discovery notes, which belong to how the tree was read. */
interface CachedResult {
  findings: Finding[];
  stats: AnalysisStats;
}

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
  if (hit) return withDiscoveryNotes(hit, src);

  const facts = parseAll(src, pack, limits, paths, keys, cache);
  const parseNotes: string[] = [];
  const files: FileFacts[] = [];
  let bytes = 0;
  for (const r of facts) {
    if (r.ok) {
      files.push(r.facts);
      bytes += r.facts.bytes;
      parseNotes.push(...r.facts.notes);
    } else parseNotes.push(r.note);
  }
  const prog = makeProgram({ root: src.label, files, notes: [], bytes }, pack);
  const res = runRules(prog, pack, opts.entry);
  const result: CachedResult = {
    findings: res.findings,
    stats: {
      files: files.length,
      bytes,
      functions: files.reduce((n, f) => n + f.functions.length, 0),
      entries: res.entriesRun,
      rules: pack.rules.length,
      notes: [...parseNotes, ...res.missingEntries.map((e) => `entry ${e}: not defined in the analysed files`), ...res.partial],
    },
  };
  if (!parseNotes.some((n) => /--timeout/.test(n))) cache?.put('results', resultKey, result);
  return withDiscoveryNotes(result, src);
}

function withDiscoveryNotes(r: CachedResult, src: SourceTree): Analysis {
  return { findings: r.findings, stats: { ...r.stats, notes: [...src.notes, ...r.stats.notes] } };
}

function parseAll(src: SourceTree, pack: Pack, limits: ParseLimits, paths: string[], keys: string[], cache: Cache | null): ParseOutcome[] {
  const normalize = makeNormalizer(pack.frontend);
  const fe = sha(frontendKey(pack));
  return paths.map((rel, i) => {
    const f = src.files.get(rel)!;
    if (!Buffer.isBuffer(f)) return { ok: false, note: f.note };
    const key = sha(codeKey(), fe, `${limits.maxFileSize}/${limits.timeoutMs}`, rel, keys[i]);
    const hit = cache?.get<ParseOutcome>('facts', key);
    if (hit) return hit;
    const r = parseBuffer(f, rel, normalize, limits);
    // a parse cut short by the time budget depends on the machine's load, not on the content
    if (r.ok || !/--timeout/.test(r.note)) cache?.put('facts', key, r);
    return r;
  });
}
