// A series: the messages of an mbox that carry a diff, in the order their
// "[PATCH k/n]" subjects give (input order when they give none). Each is
// applied in turn over the tree and the tree analysed after it, so a finding
// the series adds is attributed to the patch after which it first stayed.

import type { Pack } from '../pack/load';
import type { AnalysisHost, Analysis, AnalyzeOptions } from '../driver/analyze';
import { sortFindings, type Finding } from '../flow/finding';
import type { SourceTree } from '../source/snapshot';
import { parseDiff, type FilePatch } from './diff';
import type { Mail } from './mbox';
import { PatchedTree } from './apply';
import { InputError } from '../util/errors';

export interface Patch {
  mail: Mail;
  files: FilePatch[];
  index: number;
  total: number;
}

const NUMBERED = /\[[^\]]*?\b(\d+)\/(\d+)\]/;

export function seriesOf(mails: Mail[], name: string): { patches: Patch[] } {
  const withDiff: { mail: Mail; files: FilePatch[] }[] = [];
  for (const mail of mails) {
    const files = parseDiff(mail.body, name, mail.bodyLine);
    if (files.length) withDiff.push({ mail, files });
  }
  if (!withDiff.length) {
    throw new InputError(`${name}: no diff in ${mails.length === 1 ? 'the mail' : `any of the ${mails.length} mails`}: nothing to review`);
  }
  const nums = withDiff.map((p) => NUMBERED.exec(p.mail.subject));
  const numbered = nums.every((m) => m) && new Set(nums.map((m) => Number(m![1]))).size === nums.length;
  const order = withDiff.map((p, i) => ({ p, k: numbered ? Number(nums[i]![1]) : i + 1 }));
  if (numbered) order.sort((a, b) => a.k - b.k);
  // a loop, not a spread into Math.max: an mbox of 130,000 mails would overflow the stack
  let total = order.length;
  if (numbered) for (const m of nums) total = Math.max(total, Number(m![2]));
  return { patches: order.map(({ p, k }) => ({ ...p, index: k, total })) };
}

export interface SeriesResult {
  base: Analysis;
  /** per patch: the tree after it, its analysis, and the findings it added that the series keeps */
  steps: { patch: Patch; tree: SourceTree; analysis: Analysis; added: Finding[] }[];
}

export async function reviewSeries(patches: Patch[], root: string, base: SourceTree, pack: Pack, select: (rel: string) => boolean,
  opts: AnalyzeOptions & { maxFileSize: number }, name: string, host: AnalysisHost): Promise<SeriesResult> {
  const work = new PatchedTree(root, base, select, opts.maxFileSize);
  const baseAnalysis = await host.analyze(base, pack, opts);
  const trees: SourceTree[] = [];
  const analyses: Analysis[] = [];
  for (const p of patches) {
    work.apply(p.files, name);
    const t = work.snapshot(base.label);
    trees.push(t);
    analyses.push(await host.analyze(t, pack, { ...opts, near: analyses[analyses.length - 1] ?? baseAnalysis }));
  }
  const ids = [baseAnalysis, ...analyses].map((a) => new Set(a.findings.map((f) => f.id)));
  const last = ids[ids.length - 1];
  const steps = patches.map((patch, k) => ({ patch, tree: trees[k], analysis: analyses[k], added: [] as Finding[] }));
  for (const id of last) {
    if (ids[0].has(id)) continue;
    // the patch after which the finding is there to the end of the series
    let k = ids.length - 1;
    while (k > 1 && ids[k - 1].has(id)) k--;
    const step = steps[k - 1];
    step.added.push(step.analysis.findings.find((f) => f.id === id)!);
  }
  for (const s of steps) sortFindings(s.added);
  return { base: baseAnalysis, steps };
}
