// Where one cold check spends its time, phase by phase, in one process: the
// steps `callorder check --no-cache` takes, each timed on its own.
//
//   node dist/scripts/bench-phases.js TREE [--jobs N] [--include GLOB ...] [--stop-after parse]
// prints JSON: { discoverMs, parseMs, programMs, engineMs, reportMs, cpuMs: {phase: ms}, files, findings, maxRssKb }

// first, as in cli.ts: the same V8 settings as a check
import '../analyzer/util/tiering';
import { loadPack, defaultPackPath } from '../analyzer/pack/load';
import { scanTree, loadTreeAsync } from '../analyzer/driver/load-tree';
import { makeProgram } from '../analyzer/program/callgraph';
import { runRules } from '../analyzer/flow/run';
import { checkJson } from '../analyzer/report/json';
import { json } from '../analyzer/commands/common';
import { childArgs } from './bench-args';

async function main(argv: string[]): Promise<void> {
  const { root, jobs, include, stopAfter } = childArgs(argv);
  const pack = loadPack(defaultPackPath());
  // bodies only where the runs go, as check reads them
  const opts = { include: include.length ? include : undefined, jobs, cacheRoot: null, walkedBodiesOnly: true };
  let t = performance.now();
  let c = cpuMs();
  const cpu: Record<string, number> = {};
  const lap = (phase: string) => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    const cnow = cpuMs();
    cpu[phase] = Math.round(cnow - c);
    c = cnow;
    return Math.round(ms);
  };
  const scan = scanTree(root, pack, opts);
  const discoverMs = lap('discover');
  const tree = await loadTreeAsync(root, pack, opts, scan);
  const parseMs = lap('parse');
  if (stopAfter === 'parse') {
    process.stdout.write(`${JSON.stringify({ discoverMs, parseMs, cpuMs: cpu, files: tree.files.length, bytes: tree.bytes, maxRssKb: process.resourceUsage().maxRSS })}\n`);
    return;
  }
  const prog = makeProgram(tree, pack);
  const programMs = lap('program');
  const res = runRules(prog, pack);
  const engineMs = lap('engine');
  const functions = tree.files.reduce((n, f) => n + f.functions.length, 0);
  const out = json(checkJson(root, res.findings, {
    files: tree.files.length, bytes: tree.bytes, functions, entries: res.entriesRun, rules: pack.rules.length, notes: tree.notes,
  }));
  const reportMs = lap('report');
  process.stdout.write(`${JSON.stringify({
    discoverMs, parseMs, programMs, engineMs, reportMs, cpuMs: cpu, files: tree.files.length, findings: res.findings.length,
    outputBytes: out.length, maxRssKb: process.resourceUsage().maxRSS,
  })}\n`);
}

/** CPU time of the whole process, every thread */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench-phases: ${(e as Error).message}\n`);
  process.exit(2);
});
