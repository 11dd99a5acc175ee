// What the call graph costs next to the parse: loadTree() against
// makeProgram() plus the resolution of every call site (indirectStats walks
// each function's calls once), on the files of the default pack, i.e.
// arch/x86/kvm and virt/kvm with the KVM headers they use. Each run parses
// afresh; the medians of the runs are compared.
//
//   node dist/scripts/measure-graph.js [TREE | --fetch 6.12|6.1] [--runs N] [--json]
//
// The target is a graph that adds at most 30% to the parse (exit 1 if not).

import { loadTree } from '../analyzer/driver/load-tree';
import { loadPack, defaultPackPath } from '../analyzer/pack/load';
import { fetchKernel, kernelVersionOf } from '../analyzer/source/fetch-kernel';
import { makeProgram, indirectStats, callSites } from '../analyzer/program/callgraph';

const LIMIT = 0.3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main(argv: string[]): number {
  let tree: string | undefined;
  let version = '6.12';
  let runs = 5;
  let asJson = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--fetch') {
      const v = kernelVersionOf(argv[++i] ?? '');
      if (!v) throw new Error(`--fetch takes a kernel version N.M or newest, not ${argv[i]}`);
      version = v;
    } else if (a === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
    } else if (a === '--json') asJson = true;
    else if (!a.startsWith('-') && !tree) tree = a;
    else throw new Error(`unknown argument ${a}`);
  }
  const root = tree ?? fetchKernel(version, { log: (l) => process.stderr.write(`${l}\n`) });
  const pack = loadPack(defaultPackPath());
  const parse: number[] = [];
  const graph: number[] = [];
  let files = 0;
  let functions = 0;
  let calls = 0;
  let indirect = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const facts = loadTree(root, pack);
    const t1 = performance.now();
    const p = makeProgram(facts, pack);
    const st = indirectStats(p);
    const t2 = performance.now();
    parse.push(t1 - t0);
    graph.push(t2 - t1);
    if (r === 0) {
      files = facts.files.length;
      for (const f of facts.files) {
        functions += f.functions.length;
        for (const fn of f.functions) calls += callSites(p, fn).length;
      }
      indirect = st.found;
    }
    if (!asJson) process.stderr.write(`run ${r + 1}/${runs}: parse ${(t1 - t0).toFixed(0)} ms, graph ${(t2 - t1).toFixed(0)} ms\n`);
  }
  const mp = median(parse);
  const mg = median(graph);
  const ratio = mg / mp;
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ tree: root, runs, files, functions, calls, indirect, parseMs: parse, graphMs: graph, medianParseMs: mp, medianGraphMs: mg, ratio, limit: LIMIT }, null, 2)}\n`);
  } else {
    process.stdout.write([
      `tree: ${root}`,
      `files: ${files}  functions: ${functions}  call sites: ${calls}  indirect: ${indirect}`,
      `parse (loadTree), median of ${runs}: ${mp.toFixed(0)} ms`,
      `graph (makeProgram + every call site resolved), median of ${runs}: ${mg.toFixed(0)} ms`,
      `graph / parse: ${(ratio * 100).toFixed(1)}% (target at most ${LIMIT * 100}%)`,
      '',
    ].join('\n'));
  }
  return ratio <= LIMIT ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`measure-graph: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
