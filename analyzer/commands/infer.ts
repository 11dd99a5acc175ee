import { makeProgram } from '../program/callgraph';
import { entriesOf } from '../flow/run';
import { roleUnits } from '../program/roles';
import { infer } from '../infer/infer';
import { deviantsOf, renderInfer, type InferFormat } from '../infer/render';
import { CommonArgs, readTree, log } from './common';
import { InputError, UsageError } from '../util/errors';
import type { Io } from '../util/io';

export interface InferArgs extends CommonArgs {
  /** functions, or roles of the pack */
  entries?: string[];
  top?: number;
  format?: InferFormat;
}

/** The tree's own ordering beliefs and the paths that break them; exit 1 when a deviant is printed. */
export async function inferCmd(a: InferArgs, io: Io): Promise<number> {
  const top = a.top ?? 20;
  if (!Number.isInteger(top) || top < 1) throw new UsageError('--top must be a whole number, 1 or more');
  const { pack, tree } = await readTree(a, io);
  for (const n of tree.notes) log(io, n);
  const prog = makeProgram(tree, pack);
  // without --entries, the entries the pack's rules run from; a role names its outermost dispatchers,
  // whose cases infer's units already are (a handler alone would lose what the dispatcher does first)
  const named = (a.entries ?? []).flatMap((e) => (pack.roles[e] ? [...new Set(roleUnits(prog, e, pack.roles[e]).map((u) => u.function))] : [e]));
  if (a.entries?.length && !named.length) throw new InputError(`the roles ${a.entries.join(', ')} find no dispatcher in the analysed files`);
  const entries = named.length ? named : [...new Set(pack.rules.flatMap((r) => entriesOf(r, prog).map((e) => e.function)))];
  if (!entries.length) throw new UsageError('no entries: the pack\'s rules name none, so name them with --entries FN...');
  const res = infer(prog, pack, entries);
  for (const m of res.missing) log(io, `note: entry ${m} is not defined in the analysed files`);
  if (!res.entries.length) throw new InputError(`none of the entries (${entries.join(', ')}) is defined in the analysed files`);
  for (const n of res.notes) log(io, `note: ${n}`);
  io.stdout.write(renderInfer(res, a.format ?? 'text', top));
  return a.format !== 'pack' && deviantsOf(res.beliefs.filter((b) => b.deviants.length)).length ? 1 : 0;
}
