import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnalysisHost, resultKeyOf, runPack, type Analysis, type AnalysisStats } from '../driver/analyze';
import { openCache } from '../cache/store';
import type { Pack } from '../pack/load';
import { readBaseline, splitByBaseline } from '../report/baseline';
import { render, type Format } from '../report/render';
import type { ReportInput } from '../report/model';
import { selector, snapshotDir, type SourceTree } from '../source/snapshot';
import { loadTreeAsync, scanTree, type LoadOptions } from '../driver/load-tree';
import { checkoutHead, prefixOf, resolveCommit, revisionTree, shortCommit, workTreeTop } from '../vcs/git';
import { noPackFiles } from '../pack/entries';
import { discoverFiles } from '../source/discover';
import type { Io } from '../util/io';
import { CommonArgs, resolveTree, resolvePack, limitsOf, loadOptionsOf, log, reporterOf, sourceText, fallbackDate, type ReportArgs } from './common';
import { InputError, UsageError } from '../util/errors';

export interface CheckArgs extends CommonArgs, ReportArgs {
  format?: Format;
  entry?: string[];
  baseline?: string;
  since?: string;
}

export async function check(a: CheckArgs, io: Io, host = new AnalysisHost()): Promise<number> {
  if (a.baseline && a.since) throw new UsageError('--baseline and --since both say what to compare with: name one');
  const root = resolveTree(a, io);
  const pack = resolvePack(a, io);
  const limits = limitsOf(a);
  const sel = { include: a.include, exclude: a.exclude, limits };
  const lo = loadOptionsOf(a, io);
  const opts = { limits, entry: a.entry, cache: a.cache, jobs: lo.jobs, onProgress: lo.onProgress };
  // a tree too large to hold in memory (the whole kernel; --max-body-bytes) is streamed; --since needs the tree in memory
  const scan = scanTree(root, pack, { ...lo, cacheRoot: null });
  const none = noPackFiles(pack, scan.files, root);
  if (none) throw new InputError(none);
  const narrowed = leftOut(root, pack, a.include, scan.files);
  if (!a.since && scan.sizes.reduce((n, b) => n + b, 0) >= lo.maxBodyBytes!) return report(a, io, root, pack, withNotes(await checkLarge(root, pack, a, lo), narrowed));
  // the same selection as the scan's (loadOptionsOf): its listing serves
  const src = snapshotDir(root, pack, sel, undefined, scan);
  let before: Set<string> | undefined;
  let against: string | undefined;
  let near: Analysis | undefined;
  if (a.baseline) {
    before = readBaseline(a.baseline, io.cwd);
    against = `baseline ${path.basename(a.baseline)}`;
  } else if (a.since) {
    const old = sinceTree(root, a.since, selector(pack, sel), limits, io.env);
    near = await host.analyze(old.tree, pack, opts);
    before = new Set(near.findings.map((f) => f.id));
    against = old.label;
  }
  // a check of the same directory again is most often a check after a small edit
  const lastOf = near ? undefined : JSON.stringify([path.resolve(root), a.include ?? [], a.exclude ?? []]);
  const res = await host.analyze(src, pack, { ...opts, near, lastOf });
  lo.progress?.end();
  return report(a, io, root, pack, withNotes(res, narrowed), src, before, against);
}

/**
 * The note a check with --include owes when the files it chose leave out
 * some of the pack's own (its headers, say): the rules then see less of what
 * they are about, and their findings change. null when none is left out.
 */
function leftOut(root: string, pack: Pack, include: string[] | undefined, chosen: string[]): string | null {
  if (!include?.length || !pack.include.length) return null;
  const have = new Set(chosen);
  const missed = discoverFiles(root, pack.include, pack.exclude).files.filter((f) => !have.has(f));
  if (!missed.length) return null;
  const shown = missed.slice(0, 3).join(', ');
  return `--include leaves out ${missed.length} of the pack's own file${missed.length === 1 ? '' : 's'} (${shown}${missed.length > 3 ? ', ...' : ''}): ` +
    'the rules run without them, and their findings may differ from a check of the pack\'s files';
}

function withNotes<T extends { stats: AnalysisStats }>(res: T, note: string | null): T {
  return note ? { ...res, stats: { ...res.stats, notes: [note, ...res.stats.notes] } } : res;
}

/** Prints the findings of a check in the format asked for; the exit code. */
function report(a: CheckArgs, io: Io, root: string, pack: Pack, res: { findings: Analysis['findings']; stats: AnalysisStats },
  src?: SourceTree, before?: Set<string>, against?: string): number {
  // the commit the work tree is at names it, and dates the report (the work tree may differ from it, and says so)
  const at = a.format === 'email' ? checkoutHead(root, io.env) : undefined;
  const head = at ? `${at.commit}, work tree as found` : undefined;
  const date = a.format === 'email' ? at?.date ?? fallbackDate(io.env) : undefined;
  const split = before ? splitByBaseline(res.findings, before) : undefined;
  const input: ReportInput = {
    tree: src?.label ?? path.basename(root),
    ...(head ? { head } : {}),
    ...(date ? { date } : {}),
    ...(against ? { against } : {}),
    findings: split?.added ?? res.findings,
    ...(split ? { old: split.old } : {}),
    stats: res.stats,
    rules: pack.rules.filter((r) => !a.entry?.length || a.entry.includes(r.id)),
    source: (file) => (src ? sourceText(src, file) : readText(root, file)),
    reporter: reporterOf(a, io.env),
  };
  if (!a.format || a.format === 'text') for (const n of res.stats.notes) log(io, n);
  io.stdout.write(render(a.format ?? 'text', input));
  return input.findings.length ? 1 : 0;
}

/** GITREF's version of the tree, read from git's object database: the checkout is not touched. */
function sinceTree(root: string, rev: string, select: (rel: string) => boolean, limits: ReturnType<typeof limitsOf>, env: NodeJS.ProcessEnv):
  { tree: SourceTree; label: string } {
  const top = workTreeTop(root, env);
  if (!top) throw new InputError(`${root}: not in a git checkout, which --since needs`);
  const commit = resolveCommit(top, rev, env);
  const label = `${rev} (${shortCommit(top, commit, env)})`;
  return { tree: revisionTree(top, commit, prefixOf(top, root), select, limits, label, env), label };
}

/**
 * A tree of --max-body-bytes of source or more (the whole kernel with --include '**\/*.c'):
 * never all in memory at once. Files stream through the parse pool into the
 * fact cache, bodies stay on disk (body-store.ts), and the result is cached
 * under the facts' keys. Same facts, same rules, same findings as analyze().
 */
async function checkLarge(root: string, pack: Pack, a: CheckArgs, lo: LoadOptions & { progress: { end(): void } | null }):
  Promise<{ findings: Analysis['findings']; stats: AnalysisStats }> {
  const cache = a.cache === false ? null : openCache();
  // a check enters only the pack's own files (discover.ts walkedMatcher): elsewhere declarations are all it reads
  lo = { ...lo, walkedBodiesOnly: true };
  const scan = scanTree(root, pack, lo);
  const listed = scan.keys ? scan.files.map((f, i): [string, string] => [f, scan.keys![i]]) : [];
  const key = cache && scan.keys
    ? resultKeyOf(pack, lo.limits!, a.entry, [['streamed', JSON.stringify([scan.notes])], ...listed])
    : null;
  const hit = key ? cache!.get<{ findings: Analysis['findings']; stats: AnalysisStats }>('results', key) : undefined;
  if (hit) return hit;
  const tree = await loadTreeAsync(root, pack, lo, scan);
  lo.progress?.end();
  const { findings, stats } = runPack(tree, pack, { entry: a.entry });
  if (key && !tree.transient) cache!.put('results', key, { findings, stats });
  return { findings, stats };
}

function readText(root: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(root, file), 'utf8');
  } catch {
    return undefined;
  }
}
