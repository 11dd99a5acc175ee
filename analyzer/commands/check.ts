import { scanTree, loadTreeAsync, type TreeFacts } from '../source/load-tree';
import { makeProgram } from '../program/callgraph';
import { runRules } from '../flow/run';
import { renderText } from '../report/text';
import { checkJson } from '../report/json';
import { ResultCache, resultBase, type CheckOutput } from '../cache/results';
import type { Pack } from '../pack/load';
import { CommonArgs, resolveTree, resolvePack, loadOptionsOf, json, log } from './common';

export async function check(a: CommonArgs & { format?: string; entry?: string[] }): Promise<number> {
  const root = resolveTree(a);
  const pack = resolvePack(a);
  const lo = loadOptionsOf(a);
  const results = lo.cacheRoot ? new ResultCache(lo.cacheRoot, resultBase(pack, a.entry)) : null;
  const scan = scanTree(root, pack, lo);
  const key = results?.key(scan.files.map((f, i) => [f, scan.keys![i]]), scan.notes);
  let out = key ? results!.get(key) : null;
  if (!out) {
    const tree = await loadTreeAsync(root, pack, lo, scan);
    lo.progress?.end();
    out = analyse(tree, pack, a.entry);
    if (key && !tree.transient) results!.put(key, out);
  }
  if (a.format === 'json') process.stdout.write(json(checkJson(root, out.findings, out.stats)));
  else {
    for (const n of out.stats.notes) log(n);
    process.stdout.write(renderText(out.findings));
  }
  return out.findings.length ? 1 : 0;
}

function analyse(tree: TreeFacts, pack: Pack, only: string[] | undefined): CheckOutput {
  const prog = makeProgram(tree, pack);
  const res = runRules(prog, pack, only);
  const notes = [...tree.notes, ...res.missingEntries.map((e) => `entry ${e}: not defined in the analysed files`), ...res.partial];
  const functions = tree.files.reduce((n, f) => n + f.functions.length, 0);
  return {
    findings: res.findings,
    stats: { files: tree.files.length, bytes: tree.bytes, functions, entries: res.entriesRun, rules: pack.rules.length, notes },
  };
}
