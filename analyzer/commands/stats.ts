import { computeStats } from '../report/stats';
import { CommonArgs, readTree, json, log } from './common';
import { indirectStats, makeProgram } from '../program/callgraph';
import type { Io } from '../util/io';

export async function stats(a: CommonArgs & { format?: string }, io: Io): Promise<number> {
  const { root, pack, tree } = await readTree(a, io);
  const s = computeStats(tree);
  const prog = makeProgram(tree, pack);
  const ind = indirectStats(prog);
  if (a.format === 'json') {
    io.stdout.write(json({ tree: root, ...s, indirect: ind }));
    return 0;
  }
  for (const n of s.notes) log(io, n);
  const out: string[] = [];
  out.push(`tree: ${root}`);
  out.push(`files: ${s.files}  bytes: ${s.bytes}`);
  out.push(`functions: ${s.functionCount}  with ERROR/MISSING nodes: ${s.functionsWithError}  clean: ${s.cleanPercent}%`);
  out.push(`indirect call sites: ${ind.found}  resolved: ${ind.resolved}  unresolved: ${ind.unresolved.length}`);
  for (const u of ind.unresolved) out.push(`  unresolved ${u.file}:${u.line}: ${u.expr} (${u.why})`);
  if (s.worstFiles.length) {
    out.push('worst files:');
    for (const w of s.worstFiles) out.push(`  ${w.file}: ${w.withError} of ${w.functions} functions with errors`);
  }
  io.stdout.write(out.join('\n') + '\n');
  return 0;
}
