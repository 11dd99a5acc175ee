// What every command needs: which tree, which pack, which limits.

import * as os from 'node:os';
import * as path from 'node:path';
import { loadPack, defaultPackPath, type Pack } from '../pack/load';
import { looksLikeKernelTree } from '../source/discover';
import { fetchKernel, kernelVersionOf, NEWEST_KERNEL, type FetchOptions } from '../source/fetch-kernel';
import { DEFAULT_LIMITS, type ParseLimits } from '../parse/parse-file';
import type { Io } from '../util/io';
import { DEFAULT_REPORTER, type Reporter } from '../report/model';
import type { SourceTree } from '../source/snapshot';
import { LEAN_BYTES, loadTreeAsync, type LoadOptions, type TreeFacts } from '../driver/load-tree';
import { cacheRoot } from '../cache/store';
import { progressLine, type ProgressLine } from '../report/progress';
import { UsageError } from '../util/errors';
export { json } from '../report/render';


export interface CommonArgs {
  tree?: string;
  fetch?: string;
  rules?: string;
  include?: string[];
  exclude?: string[];
  maxFileSize?: number;
  timeout?: number;
  jobs?: number;
  maxBodyBytes?: number;
  /** false with --no-cache */
  cache?: boolean;
}

export function log(io: Io, line: string): void {
  io.stderr.write(`${line}\n`);
}

export function resolveTree(a: CommonArgs, io: Io): string {
  if (a.fetch) {
    const version = kernelVersionOf(a.fetch);
    if (!version) throw new UsageError(`--fetch takes a kernel version as N.M (e.g. ${NEWEST_KERNEL}, 6.12) or newest, not ${a.fetch}`);
    if (a.tree) throw new UsageError('name a TREE or --fetch, not both');
    const opts: FetchOptions = { log: (l) => log(io, l) };
    return fetchKernel(version, opts);
  }
  if (a.tree) return path.resolve(io.cwd, a.tree);
  const cwd = io.cwd;
  if (looksLikeKernelTree(cwd)) return cwd;
  // No tree named and none here: the main job still has ground to stand on.
  log(io, `callorder: no kernel tree named and the current directory is not one; using Debian's linux-source-${NEWEST_KERNEL}`);
  return fetchKernel(NEWEST_KERNEL, { log: (l) => log(io, l) });
}

export function resolvePack(a: CommonArgs, io: Io): Pack {
  return a.rules ? loadPack(a.rules, [], io.cwd) : loadPack(defaultPackPath());
}

export function limitsOf(a: CommonArgs): ParseLimits {
  const l = { ...DEFAULT_LIMITS };
  if (a.maxFileSize !== undefined) {
    if (!(a.maxFileSize > 0)) throw new UsageError('--max-file-size must be a positive number of bytes');
    l.maxFileSize = a.maxFileSize;
  }
  if (a.timeout !== undefined) {
    if (!(a.timeout >= 0)) throw new UsageError('--timeout must be a number of seconds, 0 for none');
    l.timeoutMs = a.timeout * 1000;
  }
  return l;
}

export interface ReportArgs {
  reporter?: string;
  closesUrlBase?: string;
}

/** The email reports' identity: options first, then CALLORDER_REPORTER / CALLORDER_CLOSES_URL_BASE. */
export function reporterOf(a: ReportArgs, env: NodeJS.ProcessEnv): Reporter {
  const identity = a.reporter ?? env.CALLORDER_REPORTER ?? DEFAULT_REPORTER.identity;
  if (!/^[^<>\n]*<[^<>\s@]+@[^<>\s]+>$/.test(identity)) {
    throw new UsageError(`--reporter takes "Name <address>", not ${JSON.stringify(identity)}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(identity)) throw new UsageError('--reporter must not contain control characters');
  // no Closes: link unless an archive is named: one under a default that never has the report is a dead link
  const closesUrlBase = a.closesUrlBase ?? env.CALLORDER_CLOSES_URL_BASE ?? DEFAULT_REPORTER.closesUrlBase;
  if (closesUrlBase && !/^[\x21-\x7e]+$/.test(closesUrlBase)) throw new UsageError('--closes-url-base must be printable ASCII without white space');
  return { identity, ...(closesUrlBase ? { closesUrlBase } : {}) };
}

/**
 * The date of a report whose input has none of its own (a patch without a
 * Date, a tree that is no git checkout): SOURCE_DATE_EPOCH when set, so that
 * a build of reports is reproducible, else now.
 */
export function fallbackDate(env: NodeJS.ProcessEnv): Date {
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && /^\d+$/.test(sde.trim())) return new Date(Number(sde.trim()) * 1000);
  return new Date();
}

/** A file of an analysed tree as text, for excerpts. */
export function sourceText(t: SourceTree, file: string): string | undefined {
  const f = t.files.get(file);
  return Buffer.isBuffer(f) ? f.toString('utf8') : undefined;
}

/** How a command loads its tree: the selection, limits, threads, cache and progress line the options ask for. */
export function loadOptionsOf(a: CommonArgs, io: Io): LoadOptions & { progress: ProgressLine | null } {
  const jobs = jobsOf(a);
  const progress = progressLine(io.stderr);
  return {
    include: a.include,
    exclude: a.exclude,
    limits: limitsOf(a),
    jobs,
    cacheRoot: a.cache === false ? null : cacheRoot(),
    maxBodyBytes: maxBodyBytesOf(a),
    onProgress: progress?.update,
    progress,
  };
}

/** --max-body-bytes, checked: from this much source on, function bodies stay on disk (body-store.ts). */
export function maxBodyBytesOf(a: CommonArgs): number {
  if (a.maxBodyBytes === undefined) return LEAN_BYTES;
  if (!(a.maxBodyBytes >= 0)) throw new UsageError('--max-body-bytes must be a number of bytes, 0 or more');
  return a.maxBodyBytes;
}

/** --jobs, checked; default: every core. */
export function jobsOf(a: CommonArgs): number {
  if (a.jobs === undefined) return os.availableParallelism();
  if (!Number.isInteger(a.jobs) || a.jobs < 1) throw new UsageError('--jobs must be a whole number of threads, 1 or more');
  return a.jobs;
}

/**
 * The tree the arguments name, read for the pack (`pack`, else the one they
 * name) with their limits, the progress line cleared: what the commands that
 * model a tree without checking it (stats, graph, infer, rules list) start from.
 */
export async function readTree(a: CommonArgs, io: Io, pack?: Pack): Promise<{ root: string; pack: Pack; tree: TreeFacts }> {
  const root = resolveTree(a, io);
  const p = pack ?? resolvePack(a, io);
  const lo = loadOptionsOf(a, io);
  const tree = await loadTreeAsync(root, p, lo);
  lo.progress?.end();
  return { root, pack: p, tree };
}
