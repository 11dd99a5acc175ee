import { loadTreeAsync } from '../source/load-tree';
import { makeProgram } from '../program/callgraph';
import { runRules } from '../flow/run';
import { missingEntryError } from '../pack/entries';
import { renderText } from '../report/text';
import { checkJson } from '../report/json';
import { CommonArgs, resolveTree, resolvePack, loadOptionsOf, json, log } from './common';

export async function check(a: CommonArgs & { format?: string; entry?: string[] }): Promise<number> {
  const root = resolveTree(a);
  const pack = resolvePack(a);
  const tree = await loadTreeAsync(root, pack, loadOptionsOf(a));
  const prog = makeProgram(tree, pack);
  // the pack's own files must define its entries; files the user chose need not
  if (!a.include?.length) {
    const err = missingEntryError(pack, (fn) => prog.functions.has(fn), a.entry);
    if (err) throw err;
  }
  const res = runRules(prog, pack, a.entry);
  const notes = [...tree.notes, ...res.missingEntries.map((e) => `entry ${e}: not defined in the analysed files`), ...res.partial];
  if (a.format === 'json') {
    const functions = tree.files.reduce((n, f) => n + f.functions.length, 0);
    process.stdout.write(json(checkJson(root, res.findings, {
      files: tree.files.length, bytes: tree.bytes, functions, entries: res.entriesRun, rules: pack.rules.length, notes,
    })));
  } else {
    for (const n of notes) log(n);
    process.stdout.write(renderText(res.findings));
  }
  return res.findings.length ? 1 : 0;
}
