import * as path from 'node:path';
import { analyze, type Analysis } from '../flow/analyze';
import { readBaseline, splitByBaseline } from '../report/baseline';
import { render, type Format } from '../report/render';
import type { ReportInput } from '../report/model';
import { selector, snapshotDir, type SourceTree } from '../source/snapshot';
import { InputError } from '../source/load-tree';
import { prefixOf, resolveCommit, revisionTree, shortCommit, workTreeTop } from '../vcs/git';
import { CommonArgs, UsageError, resolveTree, resolvePack, limitsOf, log, reporterOf, sourceText, type ReportArgs } from './common';

export interface CheckArgs extends CommonArgs, ReportArgs {
  format?: Format;
  entry?: string[];
  baseline?: string;
  since?: string;
}

export function check(a: CheckArgs): number {
  if (a.baseline && a.since) throw new UsageError('--baseline and --since both say what to compare with: name one');
  const root = resolveTree(a);
  const pack = resolvePack(a);
  const limits = limitsOf(a);
  const sel = { include: a.include, exclude: a.exclude, limits };
  const opts = { limits, entry: a.entry, cache: a.cache };
  const src = snapshotDir(root, pack, sel);
  let before: Set<string> | undefined;
  let against: string | undefined;
  let near: Analysis | undefined;
  if (a.baseline) {
    before = readBaseline(a.baseline);
    against = `baseline ${path.basename(a.baseline)}`;
  } else if (a.since) {
    const old = sinceTree(root, a.since, selector(pack, sel), limits);
    near = analyze(old.tree, pack, opts);
    before = new Set(near.findings.map((f) => f.id));
    against = old.label;
  }
  const res = analyze(src, pack, { ...opts, near });
  const head = a.format === 'email' ? workTreeHead(root) : undefined;
  const split = before ? splitByBaseline(res.findings, before) : undefined;
  const input: ReportInput = {
    tree: src.label,
    ...(head ? { head } : {}),
    ...(against ? { against } : {}),
    findings: split?.added ?? res.findings,
    ...(split ? { old: split.old } : {}),
    stats: res.stats,
    rules: pack.rules.filter((r) => !a.entry?.length || a.entry.includes(r.id)),
    source: (file) => sourceText(src, file),
    reporter: reporterOf(a),
  };
  if (!a.format || a.format === 'text') for (const n of res.stats.notes) log(n);
  process.stdout.write(render(a.format ?? 'text', input));
  return input.findings.length ? 1 : 0;
}

/** GITREF's version of the tree, read from git's object database: the checkout is not touched. */
function sinceTree(root: string, rev: string, select: (rel: string) => boolean, limits: ReturnType<typeof limitsOf>):
  { tree: SourceTree; label: string } {
  const top = workTreeTop(root);
  if (!top) throw new InputError(`${root}: not in a git checkout, which --since needs`);
  const commit = resolveCommit(top, rev);
  const label = `${rev} (${shortCommit(top, commit)})`;
  return { tree: revisionTree(top, commit, prefixOf(top, root), select, limits, label), label };
}

/** The commit a checked-out tree is at, for the email header; the work tree may differ from it, and says so. */
function workTreeHead(root: string): string | undefined {
  const top = workTreeTop(root);
  if (!top) return undefined;
  try {
    return `${shortCommit(top, resolveCommit(top, 'HEAD'))}, work tree as found`;
  } catch {
    return undefined;
  }
}
