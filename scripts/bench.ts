// `npm run bench`: how fast callorder checks Debian's 6.12 tree and where the
// time goes, all measured in one run on this machine.
//
//   npm run bench [-- --runs N] [--jobs N] [--whole] [--tree DIR] [--no-coccinelle] [--only a,b,...] [--json FILE]
//
//   (a) bare tree-sitter-c parse of the analysed files, one thread (the floor)
//   (b) cold check: empty cache
//   (c) warm check: cache full, nothing changed
//   (d) warm check after a change to one file in arch/x86/kvm (x86.c: a new
//       function appended, a different one each run, so facts and results miss)
//   (f) the same after an edit inside kvm_arch_vcpu_create(), which the rules
//       walk: the entries that reach it run again
//   (cs, ds, fs) c, d and f again with a resident server of this build
//       (`callorder server start`), which the client hands the check to,
//       after it has answered three runs of each kind
//   (hu, hw) `hook run` in a throw-away git repository of the analysed files,
//       HEAD's result cached, after a new edit is staged in x86.c: in a
//       function no rule walks (kvm_arch_vcpu_ioctl_get_mpstate), and in
//       kvm_arch_vcpu_create; (hus, hws) the same with a resident server,
//       after it has answered three of each
//   (e) cold check with --jobs 1
//   phases of a cold check in one process: discover, parse+extract, program, engine, report
//   Coccinelle (spatch, when installed): a one-pattern search over arch/x86/kvm
//
// Each is the median of --runs runs (default 5; 1 with --whole) of a child
// process, timed from outside (Node start-up included), with its peak RSS and
// CPU time (all threads; with a server, the client's alone). The checks run on a hard-linked copy of the tree
// and a cache directory of their own: the user's cache and trees are not
// touched. --whole: the whole tree, every .c and .h file. --only: some of
// a, b, c, d, e, f, cs, ds, fs, hu, hw, hus, hws, phases, cocci (a whole-tree run takes minutes each).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from '../analyzer/source/fetch-kernel';
import { maxOf } from '../analyzer/util/append';

const DIST = path.resolve(__dirname);
const WHOLE_INCLUDE = ['**/*.c', '**/*.h'];
const CHANGED = 'arch/x86/kvm/x86.c';
const COCCI_RULE = '@@\n@@\n* vmcs_read16(...)\n';

interface Sample { wallMs: number; cpuMs: number; maxRssKb: number; status: number }
interface Row { id: string; what: string; samples: Sample[] }

interface Options {
  runs: number; jobs?: number; whole: boolean; tree?: string; coccinelle: boolean; json?: string; only: Set<string> | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 0, whole: false, coccinelle: true, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} takes a whole number, 1 or more`);
      return n;
    };
    if (a === '--runs') o.runs = num();
    else if (a === '--jobs') o.jobs = num();
    else if (a === '--whole') o.whole = true;
    else if (a === '--tree') o.tree = path.resolve(argv[++i]);
    else if (a === '--no-coccinelle') o.coccinelle = false;
    else if (a === '--json') o.json = path.resolve(argv[++i]);
    else if (a === '--only') o.only = new Set(argv[++i].split(','));
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.runs) o.runs = o.whole ? 1 : 5;
  return o;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** One run of callorder in a child process. */
function callorder(args: string[], env: NodeJS.ProcessEnv, stats: string): Sample {
  return callorderIn(undefined, args, env, stats);
}

function callorderIn(cwd: string | undefined, args: string[], env: NodeJS.ProcessEnv, stats: string): Sample {
  fs.rmSync(stats, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(DIST, 'bench-child.js'), ...args], {
    cwd, env: { ...env, BENCH_STATS: stats }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 << 20,
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`callorder ${args.join(' ')} exited ${r.status}: ${String(r.stderr).trim().split('\n').pop()}`);
  const u = JSON.parse(fs.readFileSync(stats, 'utf8')) as { maxRssKb: number; cpuMs: number };
  return { wallMs, cpuMs: u.cpuMs, maxRssKb: u.maxRssKb, status: r.status };
}

/** A command timed from outside; peak RSS and CPU from GNU time when it is there. */
function external(cmd: string, args: string[]): Sample {
  const time = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const t0 = process.hrtime.bigint();
  const r = time
    ? spawnSync(time, ['-f', '@@%M %U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 << 20 })
    : spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 << 20 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /@@(\d+) ([\d.]+) ([\d.]+)/.exec(String(r.stderr));
  return {
    wallMs, cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : NaN, maxRssKb: m ? Number(m[1]) : NaN, status: r.status ?? -1,
  };
}

function appendFunction(file: string, original: Buffer, n: number): void {
  // a new inode: the copy's other links (the cached tree) keep the original
  fs.rmSync(file);
  fs.writeFileSync(file, Buffer.concat([original, Buffer.from(`\nstatic int callorder_bench_${n}(int x)\n{\n\treturn x + ${n};\n}\n`)]));
}

const WALKED = 'int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)\n{\n';

function editWalked(file: string, original: Buffer, n: number): void {
  fs.rmSync(file);
  fs.writeFileSync(file, Buffer.from(withStatement(original.toString('latin1'), WALKED, n), 'latin1'));
}

/** runs of each kind a server answers before it is timed */
const SERVER_WARM_UP = 3;

const UNWALKED = 'int kvm_arch_vcpu_ioctl_get_mpstate(struct kvm_vcpu *vcpu,\n';

/** The text with `\t(void)n;` as the first statement of the function whose definition starts with `head`. */
function withStatement(text: string, head: string, n: number): string {
  const at = text.indexOf(head);
  if (at < 0) throw new Error(`${CHANGED}: no ${head.trim()} to edit`);
  const cut = text.indexOf('{\n', at) + 2;
  return `${text.slice(0, cut)}\t(void)${n};\n${text.slice(cut)}`;
}

type Runs = (id: string, what: string, one: (r: number) => Sample) => Row | null;

/** The pre-commit hook's runs in a git repository holding a copy of the analysed files. */
function hookRuns(tree: string, env: NodeJS.ProcessEnv, stats: string, runs: Runs, want: (id: string) => boolean): void {
  const repo = `${tree}-git`;
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: repo, env: { ...env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost',
      GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' }, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`git ${args[0]}: ${String(r.stderr).trim()}`);
  };
  log(`hook: a git repository of ${tree}`);
  if (spawnSync('cp', ['-a', tree, repo]).status !== 0) throw new Error('cp -a failed');
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  const file = path.join(repo, CHANGED);
  const original = fs.readFileSync(file, 'latin1');
  const alone = { ...env, CALLORDER_NO_SERVER: '1' };
  const hook = (head: string, n: number, e: NodeJS.ProcessEnv): Sample => {
    fs.writeFileSync(file, withStatement(original, head, n), 'latin1');
    git('add', CHANGED);
    try {
      return callorderIn(repo, ['hook', 'run'], e, stats);
    } finally {
      fs.writeFileSync(file, original, 'latin1');
      git('add', CHANGED);
    }
  };
  try {
    // HEAD's result into the cache, as `hook install` leaves it
    hook(UNWALKED, 0, alone);
    runs('hu', 'hook run, a new edit staged in a function no rule walks (kvm_arch_vcpu_ioctl_get_mpstate)', (r) => hook(UNWALKED, 1000 + r, alone));
    runs('hw', 'hook run, a new edit staged in kvm_arch_vcpu_create', (r) => hook(WALKED, 2000 + r, alone));
    if (want('hus') || want('hws')) withServer(env, () => {
      // a server that has answered a few commits: its first runs read HEAD's result and let V8 compile the code
      for (let w = 0; w < SERVER_WARM_UP; w++) {
        hook(UNWALKED, 10 + w, env);
        hook(WALKED, 20 + w, env);
      }
      runs('hus', 'hook run, a new edit in a function no rule walks, with a resident server', (r) => hook(UNWALKED, 3000 + r, env));
      runs('hws', 'hook run, a new edit in kvm_arch_vcpu_create, with a resident server', (r) => hook(WALKED, 4000 + r, env));
    });
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
}

/** `callorder server` for the bench's cache while `f` runs; the client's figures are the rows' (the server's CPU is not in them). */
function withServer(env: NodeJS.ProcessEnv, f: () => void): void {
  const bin = path.resolve(DIST, '..', '..', 'bin', 'callorder');
  const start = spawnSync(process.execPath, [bin, 'server', 'start', '--idle', '600'], { env, encoding: 'utf8' });
  if (start.status !== 0) throw new Error(`callorder server start: ${start.stderr.trim()}`);
  log(start.stdout.trim());
  try {
    f();
  } finally {
    spawnSync(process.execPath, [bin, 'server', 'stop'], { env, stdio: 'ignore' });
  }
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown cpu'}, ${os.availableParallelism()} threads, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${os.type()} ${os.release()}, Node ${process.version}`;
}

function spatchPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'spatch');
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function main(argv: string[]): number {
  const o = parseArgs(argv);
  const source = o.tree ?? fetchKernel('6.12', { full: o.whole, log });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-bench-'));
  const tree = path.join(work, 'tree');
  const cache = path.join(work, 'cache');
  const stats = path.join(work, 'stats.json');
  const loadBefore = os.loadavg();
  try {
    log(`copying ${source} (hard links) to ${tree}`);
    const cp = spawnSync('cp', ['-al', source, tree], { stdio: 'inherit' });
    if (cp.status !== 0) throw new Error('cp -al failed');
    const env = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache };
    const include = o.whole ? WHOLE_INCLUDE.flatMap((g) => ['--include', g]) : [];
    const jobs = o.jobs ? ['--jobs', String(o.jobs)] : [];
    const check = [...['check', tree, '--format', 'json'], ...include];
    const rows: Row[] = [];
    const want = (id: string) => !o.only || o.only.has(id);
    const runs = (id: string, what: string, one: (r: number) => Sample) => {
      if (!want(id)) return null;
      log(`${id}: ${what} (${o.runs} run${o.runs > 1 ? 's' : ''})`);
      const row: Row = { id, what, samples: [] };
      for (let r = 0; r < o.runs; r++) row.samples.push(one(r));
      rows.push(row);
      return row;
    };

    // (a) the floor, in-process timings of the parse() calls; always: every ratio is to it
    log('(a) bare tree-sitter parse');
    const bare = spawnSync(process.execPath, [path.join(DIST, 'bench-parse.js'), tree, '--runs', String(o.runs), ...include], {
      encoding: 'utf8', maxBuffer: 64 << 20,
    });
    if (bare.status !== 0) throw new Error(`bench-parse: ${bare.stderr.trim()}`);
    const b = JSON.parse(bare.stdout) as { files: number; bytes: number; runs: number[]; maxRssKb: number };
    rows.push({ id: 'a', what: `bare tree-sitter-c parse, 1 thread (${b.files} files, ${(b.bytes / 1e6).toFixed(1)} MB)`,
      samples: b.runs.map((ms) => ({ wallMs: ms, cpuMs: ms, maxRssKb: b.maxRssKb, status: 0 })) });

    // (c), (d) and (f) need the cache (b) leaves
    if (['c', 'd', 'f', 'cs', 'ds', 'fs'].some(want)) o.only?.add('b');
    const checkNow = () => callorder([...check, ...jobs], env, stats);
    runs('b', `cold check${o.jobs ? ` --jobs ${o.jobs}` : ''} (empty cache)`, () => {
      fs.rmSync(cache, { recursive: true, force: true });
      return checkNow();
    });
    runs('c', 'warm check (cache full, nothing changed)', checkNow);
    const changed = path.join(tree, CHANGED);
    const original = fs.readFileSync(changed);
    // a new inode, as the edits make: the copy's other links (the cached tree) keep the original
    const restore = () => {
      fs.rmSync(changed);
      fs.writeFileSync(changed, original);
    };
    try {
      runs('d', `warm check, ${CHANGED} changed (a function appended)`, (r) => {
        appendFunction(changed, original, r);
        return checkNow();
      });
      runs('f', `warm check, ${CHANGED} changed (a statement added in kvm_arch_vcpu_create)`, (r) => {
        editWalked(changed, original, r);
        return checkNow();
      });
    } finally {
      restore();
    }
    if (['cs', 'ds', 'fs'].some(want)) withServer(env, () => {
      try {
        // a server that has answered a few checks: its first ones read the facts and let V8 compile the code
        for (let w = 0; w < SERVER_WARM_UP; w++) {
          appendFunction(changed, original, 50 + w);
          checkNow();
          editWalked(changed, original, 60 + w);
          checkNow();
        }
        restore();
        checkNow();
        runs('cs', 'warm check, nothing changed, with a resident server', checkNow);
        runs('ds', `warm check, ${CHANGED} changed (a function appended), with a resident server`, (r) => {
          appendFunction(changed, original, 100 + r);
          return checkNow();
        });
        runs('fs', `warm check, ${CHANGED} changed (a statement added in kvm_arch_vcpu_create), with a resident server`, (r) => {
          editWalked(changed, original, 100 + r);
          return checkNow();
        });
      } finally {
        restore();
      }
    });
    if (['hu', 'hw', 'hus', 'hws'].some(want) && !o.whole) hookRuns(tree, env, stats, runs, want);
    runs('e', 'cold check --jobs 1 (empty cache)', () => {
      fs.rmSync(cache, { recursive: true, force: true });
      return callorder([...check, '--jobs', '1'], env, stats);
    });

    // phases of a cold check, in-process
    const phases: Record<string, number>[] = [];
    if (want('phases')) log(`phases of a cold check (${o.runs} runs)`);
    for (let r = 0; r < (want('phases') ? o.runs : 0); r++) {
      const p = spawnSync(process.execPath, [path.join(DIST, 'bench-phases.js'), tree, ...jobs, ...include], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (p.status !== 0) throw new Error(`bench-phases: ${p.stderr.trim()}`);
      const j = JSON.parse(p.stdout) as Record<string, number> & { cpuMs: Record<string, number> };
      phases.push({ ...j, ...Object.fromEntries(Object.entries(j.cpuMs).map(([k, v]) => [`${k}Cpu`, v])) });
    }

    let cocci: Row | null = null;
    const spatch = o.coccinelle && want('cocci') ? spatchPath() : null;
    if (spatch) {
      const rule = path.join(work, 'vmcs_read16.cocci');
      fs.writeFileSync(rule, COCCI_RULE);
      cocci = runs('cocci', 'Coccinelle: spatch, one pattern (vmcs_read16 calls) over arch/x86/kvm',
        () => external(spatch, ['--sp-file', rule, '--dir', path.join(tree, 'arch/x86/kvm')]));
    }

    const loadAfter = os.loadavg();
    report(rows, phases, cocci, o, source, loadBefore, loadAfter);
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(rows: Row[], phases: Record<string, number>[], cocci: Row | null, o: Options, source: string, l0: number[], l1: number[]): void {
  const med = (r: Row, k: keyof Sample) => median(r.samples.map((s) => s[k]));
  const peak = (r: Row) => maxOf(r.samples.map((s) => s.maxRssKb));
  const a = med(rows[0], 'wallMs');
  const out: string[] = [];
  out.push(`machine: ${machine()}`);
  out.push(`tree: ${source}${o.whole ? ' (whole: **/*.c, **/*.h)' : ' (default pack: arch/x86/kvm, virt/kvm and their headers)'}`);
  out.push(`load average before ${l0.map((x) => x.toFixed(2)).join(' ')}, after ${l1.map((x) => x.toFixed(2)).join(' ')} (other work on the machine inflates wall times)`);
  out.push(`median of ${o.runs} run${o.runs > 1 ? 's' : ''} each`);
  out.push('');
  out.push('      wall ms   x (a)   CPU ms   peak RSS MB  what');
  for (const r of rows) {
    const w = med(r, 'wallMs');
    out.push(`${r.id.padStart(5)} ${w.toFixed(0).padStart(8)} ${(w / a).toFixed(2).padStart(7)} ${med(r, 'cpuMs').toFixed(0).padStart(8)} ${(peak(r) / 1024).toFixed(0).padStart(13)}  ${r.what}`);
  }
  const ph = (k: string) => median(phases.map((p) => p[k]));
  if (phases.length) {
    out.push('');
    out.push(`phases of one cold check in one process (median ms, wall / CPU of all threads):`);
    for (const k of ['discover', 'parse', 'program', 'engine', 'report']) {
      const label = k === 'parse' ? 'parse+extract' : k;
      out.push(`  ${label.padEnd(14)} ${ph(`${k}Ms`).toFixed(0).padStart(7)} / ${ph(`${k}Cpu`).toFixed(0).padStart(7)}`);
    }
  }
  out.push('');
  const get = (id: string) => rows.find((r) => r.id === id);
  const wall = (id: string) => {
    const r = get(id);
    return r ? med(r, 'wallMs') : NaN;
  };
  const cold = wall('b');
  const oneChanged = wall('d');
  out.push('targets:');
  if (get('b')) {
    const [what, bound] = o.whole ? ['whole tree', 2] : ['cold check', 1.3];
    out.push(`  ${what} <= ${bound} x (a): ${(cold / a).toFixed(2)} x  ${cold / a <= bound ? 'met' : 'NOT met'}`);
  }
  const target = (what: string, id: string) => {
    if (get(id)) out.push(`  ${what} <= 250 ms: ${wall(id).toFixed(0)} ms  ${wall(id) <= 250 ? 'met' : 'NOT met'}`);
  };
  target('warm check, one file changed', 'd');
  target('warm check, a walked function changed', 'f');
  target('warm check, one file changed, resident server', 'ds');
  target('warm check, a walked function changed, resident server', 'fs');
  for (const [id, what] of [['hu', 'hook, an edit no rule walks'], ['hw', 'hook, an edit in a walked function'],
    ['hus', 'hook, an edit no rule walks, resident server'], ['hws', 'hook, an edit in a walked function, resident server']]) {
    if (get(id)) out.push(`  ${what} ("well under a second"): ${wall(id).toFixed(0)} ms`);
  }
  if (cocci) {
    const c = med(cocci, 'wallMs');
    out.push(`  >= 5 x faster than Coccinelle (${c.toFixed(0)} ms): cold ${(c / cold).toFixed(2)} x, warm ${(c / wall('c')).toFixed(1)} x, ` +
      `one changed ${(c / oneChanged).toFixed(2)} x  ${c / cold >= 5 ? 'met' : 'NOT met (cold)'}`);
  } else if (!o.only || o.only.has('cocci')) out.push('  Coccinelle: spatch not installed (Debian package coccinelle), not compared');
  const checks = rows.filter((r) => r.id !== 'a' && r.id !== 'cocci');
  const rssMb = checks.length ? maxOf(checks.map(peak)) / 1024 : NaN;
  const limit = o.whole ? 4096 : 1024;
  out.push(`  peak RSS of a check <= ${limit} MB: ${rssMb.toFixed(0)} MB  ${rssMb <= limit ? 'met' : 'NOT met'}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (o.json) {
    fs.writeFileSync(o.json, JSON.stringify({ machine: machine(), options: o, source, loadBefore: l0, loadAfter: l1, rows, phases, cocci }, null, 2));
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
