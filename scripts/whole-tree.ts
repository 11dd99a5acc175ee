// Whole-tree survival (npm run test:kernel): `callorder stats` and `callorder
// check` over every .c and .h file of the full Debian tree of the newest
// kernel (7.2, 63,787 files), and `check` over 6.12's (59,932), each in its
// own process, must
//   - exit 0 or 1 (not 2, not a signal: V8 running out of heap aborts),
//   - print no "internal error", no stack trace, no V8 fatal error,
//   - give valid JSON, and
//   - account for every file: the files it read plus the files it names in a
//     "skipped" note are exactly the .c and .h files of the tree (regular
//     files; symbolic links are not followed, and get their own note);
//   - for check: find exactly what a check of the pack's files alone finds.
// It prints the wall time and peak RSS of each run. check runs first, on an
// empty cache of its own (a throw-away directory unless
// CALLORDER_ANALYSIS_CACHE names one), so its time is a cold run's; stats
// then reads the facts check left. Not part of `npm test`; .ci/run runs it.
// The trees are fetched with `callorder fetch-kernel VERSION --full`, as a
// user would fetch them.
//
//   node dist/scripts/whole-tree.js [TREE | --fetch VERSION...] [--only stats|check] [-- extra callorder args]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { NEWEST_KERNEL } from '../analyzer/source/fetch-kernel';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'callorder');
const INCLUDE = ['--include', '**/*.c', '--include', '**/*.h'];
/**
 * The trees run when none is named, and what runs on each. stats (every
 * body, parsed again: 7.5-15 min) runs on the newest tree alone, so that both
 * trees' checks fit in CI's 30 minutes with npm test; `--only stats` and
 * `--fetch 6.12` run it on 6.12.
 */
const PLAN: [string, string[]][] = [[NEWEST_KERNEL, ['check', 'stats']], ['6.12', ['check']]];

/** The full Debian tree of `version`, through the CLI's fetch-kernel (cached after the first time). */
function fetchFull(version: string): string {
  const r = spawnSync(process.execPath, [CLI, 'fetch-kernel', version, '--full'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`callorder fetch-kernel ${version} --full: exit ${r.status ?? r.signal}`);
  return r.stdout.trim();
}

/** .c and .h regular files under root, relative, the way discovery sees them (.git and node_modules skipped) */
function sourceFiles(root: string): Set<string> {
  const out = new Set<string>();
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== '.git' && e.name !== 'node_modules') stack.push(r);
      } else if (e.isFile() && /\.[ch]$/.test(e.name)) out.add(r);
    }
  }
  return out;
}

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; secs: number; peakMB: number }

/** Runs the CLI, sampling its peak RSS (VmHWM) from /proc while it runs. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let peakKB = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKB = Math.max(peakKB, Number(m[1]));
      } catch { /* gone, or no /proc */ }
    };
    const timer = setInterval(sample, 1000);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve({
        code, signal, secs: (Date.now() - t0) / 1000, peakMB: peakKB / 1024,
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** The file a "skipped" note names, or null for other notes. */
function skippedFile(note: string): string | null {
  const m = /^(.+?)(?::\d+:\d+)?: .*\bskipped$/.exec(note);
  return m ? m[1] : null;
}

async function main(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const extra = dash >= 0 ? argv.slice(dash + 1) : [];
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const valueOf = new Set(['--only', '--fetch']);
  const onlyAt = own.indexOf('--only');
  const only = onlyAt >= 0 ? own[onlyAt + 1] : undefined;
  const fetch = own.flatMap((a, i) => (own[i - 1] === '--fetch' ? [a] : []));
  const treeArg = own.find((a, i) => !a.startsWith('-') && !valueOf.has(own[i - 1] ?? ''));
  const both = ['check', 'stats'];
  const plan: [string, string[]][] = treeArg
    ? [[path.resolve(treeArg), both]]
    : (fetch.length ? fetch.map((v): [string, string[]] => [v, both]) : PLAN).map(([v, cmds]) => [fetchFull(v), cmds]);
  const problems: string[] = [];
  for (const [root, cmds] of plan) {
    const files = sourceFiles(root);
    console.log(`tree ${root}: ${files.size} .c and .h files`);
    // the facts of a whole kernel are gigabytes: never left in the user's cache
    const scratch = process.env.CALLORDER_ANALYSIS_CACHE ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-whole-'));
    const env = scratch ? { ...process.env, CALLORDER_ANALYSIS_CACHE: scratch } : process.env;
    const mine: string[] = [];
    try {
      await runAll(root, files, only ? [only] : cmds, extra, mine, env);
    } finally {
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    }
    for (const p of mine) problems.push(`${path.basename(root)}: ${p}`);
  }
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(problems.length ? `${problems.length} problem(s)` : 'ok');
  return problems.length ? 1 : 0;
}

async function runAll(root: string, files: Set<string>, cmds: string[], extra: string[], problems: string[], env: NodeJS.ProcessEnv): Promise<void> {
  for (const cmd of ['check', 'stats'].filter((c) => cmds.includes(c))) {
    const r = await runCli([cmd, root, ...INCLUDE, '--format', 'json', ...extra], env);
    const fail = (why: string) => problems.push(`${cmd}: ${why}`);
    console.log(`${cmd}: exit ${r.code ?? r.signal} in ${(r.secs / 60).toFixed(1)} min, peak RSS ${(r.peakMB / 1024).toFixed(2)} GB`);
    if (r.code !== 0 && r.code !== 1) fail(`exit ${r.code ?? `signal ${r.signal}`}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    for (const bad of [/internal error/, /^\s{4}at /m, /FATAL ERROR/, /out of memory/i]) {
      const m = bad.exec(r.stderr);
      if (m) fail(`stderr has ${JSON.stringify(m[0])}: ${r.stderr.slice(Math.max(0, m.index - 200), m.index + 300)}`);
    }
    let j: { files?: number; notes?: string[]; stats?: { files: number; notes: string[] }; findings?: unknown[] };
    try {
      j = JSON.parse(r.stdout) as typeof j;
    } catch {
      fail(`stdout is not JSON (${r.stdout.length} bytes)`);
      continue;
    }
    const read = j.stats?.files ?? j.files ?? 0;
    const notes = j.stats?.notes ?? j.notes ?? [];
    const skipped = new Set(notes.map(skippedFile).filter((f): f is string => f !== null));
    for (const f of skipped) if (!files.has(f)) fail(`a skipped note names ${f}, which is no .c or .h file of the tree`);
    if (read + skipped.size !== files.size) {
      fail(`${read} files read and ${skipped.size} skipped with a note, but the tree has ${files.size}: ${files.size - read - skipped.size} unaccounted for`);
    }
    // notes by kind (names and numbers folded); a kind seen once is printed whole
    const kinds = new Map<string, string[]>();
    for (const n of notes) {
      const k = n.replace(/^[^ ]*: /, '').replace(/\d+/g, 'N').replace(/ \S+\(\): /, ' ').slice(0, 90);
      const same = kinds.get(k);
      if (same) same.push(n);
      else kinds.set(k, [n]);
    }
    console.log(`  ${read} files read, ${skipped.size} skipped with a note${j.findings ? `, ${j.findings.length} findings` : ''}; notes:`);
    if (cmd === 'check') await samePackFindings(root, j.findings ?? [], extra, fail, env);
    for (const [k, ns] of [...kinds].sort((a, b) => b[1].length - a[1].length).slice(0, 12)) {
      console.log(ns.length === 1 ? `    1 x ${ns[0].slice(0, 400)}` : `    ${ns.length} x ${k}`);
    }
  }
}

/**
 * The pack's rules are about the pack's files, and the engine walks only
 * those (program.ts confinedTo), so the whole tree must find exactly what a
 * check of the pack's own files finds: the same findings with the same traces.
 */
async function samePackFindings(root: string, whole: unknown[], extra: string[], fail: (why: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  const r = await runCli(['check', root, '--format', 'json', ...extra], env);
  let own: unknown[] = [];
  try {
    own = (JSON.parse(r.stdout) as { findings: unknown[] }).findings;
  } catch {
    fail(`the check of the pack's files alone gave no JSON (exit ${r.code ?? r.signal})`);
    return;
  }
  const a = new Set(whole.map((f) => JSON.stringify(f)));
  const b = new Set(own.map((f) => JSON.stringify(f)));
  const onlyWhole = [...a].filter((f) => !b.has(f));
  const onlyOwn = [...b].filter((f) => !a.has(f));
  console.log(`  the pack's files alone: ${own.length} findings; ${onlyWhole.length} only in the whole tree, ${onlyOwn.length} only in the pack's files`);
  for (const f of onlyWhole) fail(`found over the whole tree, not in the pack's files: ${f.slice(0, 400)}`);
  for (const f of onlyOwn) fail(`found in the pack's files, not over the whole tree: ${f.slice(0, 400)}`);
}

main(process.argv.slice(2)).then((c) => process.exit(c), (e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(2);
});
