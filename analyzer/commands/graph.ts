import { makeProgram } from '../program/callgraph';
import { graphFrom, renderGraph } from '../program/graph-view';
import { CommonArgs, readTree, log } from './common';
import { UsageError } from '../util/errors';
import type { Io } from '../util/io';

export async function graph(a: CommonArgs & { from: string; to?: string; depth?: number; format?: string }, io: Io): Promise<number> {
  const depth = a.depth ?? 12;
  if (!Number.isInteger(depth) || depth < 0) throw new UsageError('--depth must be a whole number of calls (0 or more)');
  const { pack, tree } = await readTree(a, io);
  for (const n of tree.notes) log(io, n); // a file skipped or read in part changes the graph: never silently
  const prog = makeProgram(tree, pack);
  if (!prog.functions.has(a.from)) throw new UsageError(`--from ${a.from}: no such function in the analysed files`);
  if (a.to && !prog.functions.has(a.to)) throw new UsageError(`--to ${a.to}: no such function in the analysed files`);
  const g = graphFrom(prog, a.from, { to: a.to, depth });
  if (a.to && !g.nodes.some((n) => n.name === a.to)) log(io, `no path from ${a.from} to ${a.to} within ${depth} calls`);
  io.stdout.write(renderGraph(g, (a.format as 'text' | 'dot' | 'json') ?? 'text'));
  return 0;
}
