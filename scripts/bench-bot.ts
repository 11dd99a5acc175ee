// `npm run bench:bot`: the review bot's throughput and latency on this
// machine, on Debian's 6.12 KVM tree (fetched once) as a git repository.
//
//   node dist/scripts/bench-bot.js [--patches N] [--workers N] [--json FILE]
//
// (1) a generated public-inbox v2 archive (git/0.git written by git
//     fast-import in public-inbox's layout: one commit a message, the blob
//     `m`) of N patch mails (default 1,500, a day of LKML) in series of 1 to 8
//     with cover letters; about one series in fifteen touches KVM (comment
//     lines inserted in real functions of arch/x86/kvm, so every patch
//     applies), the rest touch drivers the pack does not read;
// (2) `bot run --once` over it, after a warm-up run on one KVM series (the
//     base tree unpacked, its facts and results cached): wall time, patches
//     per minute, series reviewed and skipped; and the same day with no
//     series touching KVM (reading and skipping alone);
// (3) latency: the bot running (poll every 5 s) over that state, a new KVM
//     series of three patches appended to the archive; the time from the
//     commit of its last patch to its verdict in the state (the reports are
//     sent right after, in the same round).
//
// Everything is in a temporary directory with a cache of its own.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { fetchKernel } from '../analyzer/source/fetch-kernel';
import { append } from '../analyzer/util/append';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'callorder');
const KVM_FILES = ['arch/x86/kvm/x86.c', 'arch/x86/kvm/mmu/mmu.c', 'arch/x86/kvm/vmx/vmx.c', 'arch/x86/kvm/svm/svm.c',
  'arch/x86/kvm/lapic.c', 'arch/x86/kvm/cpuid.c', 'arch/x86/kvm/emulate.c', 'arch/x86/kvm/hyperv.c'];

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** a small deterministic PRNG (mulberry32): the same archive every run */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Mail { subject: string; text: string }

/** a comment line inserted after a statement line of a real file: a diff that applies */
function kvmDiff(kernel: string, file: string, rnd: () => number, tag: string): string {
  const lines = fs.readFileSync(path.join(kernel, file), 'utf8').split('\n');
  for (;;) {
    const l = 3 + Math.floor(rnd() * (lines.length - 8));
    if (!/;\s*$/.test(lines[l]) || /\\\s*$/.test(lines[l]) || !/^\t/.test(lines[l])) continue;
    const before = lines.slice(l - 2, l + 1);
    const after = lines.slice(l + 1, l + 4);
    return [`diff --git a/${file} b/${file}`, `--- a/${file}`, `+++ b/${file}`, `@@ -${l - 1},6 +${l - 1},7 @@`,
      ...before.map((x) => ` ${x}`), `+\t// ${tag}`, ...after.map((x) => ` ${x}`), ''].join('\n');
  }
}

function otherDiff(s: number, k: number): string {
  const file = `drivers/net/ethernet/vendor${s % 40}/main${k}.c`;
  const ctx = Array.from({ length: 30 }, (_, i) => `\tregister_${i}(dev);`);
  return [`diff --git a/${file} b/${file}`, `--- a/${file}`, `+++ b/${file}`, '@@ -10,30 +10,31 @@ static int probe(struct device *dev)',
    ...ctx.slice(0, 15).map((x) => ` ${x}`), `+\tfixup_${s}_${k}(dev);`, ...ctx.slice(15).map((x) => ` ${x}`), ''].join('\n');
}

function series(kernel: string, s: number, n: number, kvm: boolean, rnd: () => number, t: number): Mail[] {
  const from = `Dev ${s % 97} <dev${s % 97}@example.org>`;
  const sub = kvm ? 'KVM: x86' : `net: vendor${s % 40}`;
  const id = (k: number) => `<bench.${s}.${k}@example.org>`;
  const head = (k: number, subject: string) => [
    `From: ${from}`, 'To: list@example.invalid', `Subject: ${subject}`, `Message-ID: ${id(k)}`,
    `Date: ${new Date((t + k) * 1000).toUTCString()}`,
    ...(k > 0 && n > 1 ? [`In-Reply-To: ${id(0)}`, `References: ${id(0)}`] : []), '', ''].join('\n');
  const out: Mail[] = [];
  if (n > 1) out.push({ subject: `[PATCH 0/${n}] ${sub}: series ${s}`, text: `${head(0, `[PATCH 0/${n}] ${sub}: series ${s}`)}Series ${s}.\n\n-- \n2.39.5\n` });
  for (let k = 1; k <= n; k++) {
    const subject = `[PATCH${n > 1 ? ` ${k}/${n}` : ''}] ${sub}: change ${k} of series ${s}`;
    const diff = kvm ? kvmDiff(kernel, KVM_FILES[(s + k) % KVM_FILES.length], rnd, `bench ${s}.${k}`) : otherDiff(s, k);
    out.push({ subject, text: `${head(k, subject)}Change ${k}.\n\nSigned-off-by: ${from}\n---\n${diff}-- \n2.39.5\n` });
  }
  return out;
}

/** appends the mails to the epoch as public-inbox does: a commit each, adding the blob `m` */
function importMails(gitDir: string, mails: Mail[], t: number): void {
  const parts: Buffer[] = [];
  const hasHead = spawnSync('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', 'refs/heads/master']).status === 0;
  mails.forEach((m, i) => {
    const body = Buffer.from(m.text);
    const msg = Buffer.from(m.subject);
    parts.push(Buffer.from(`commit refs/heads/master\ncommitter list <list@example.invalid> ${t + i} +0000\ndata ${msg.length}\n`), msg,
      Buffer.from(`\n${i === 0 && hasHead ? 'from refs/heads/master^0\n' : ''}M 100644 inline m\ndata ${body.length}\n`), body, Buffer.from('\n'));
  });
  run('git', ['--git-dir', gitDir, 'fast-import', '--quiet'], { input: Buffer.concat(parts) });
}

function count(db: string, sql: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare(sql).get() as { n: number }).n;
  } finally {
    d.close();
  }
}

async function main(): Promise<void> {
  const total = Number(arg('--patches', '1500'));
  const workers = Number(arg('--workers', '2'));
  const kernel = fetchKernel('6.12', { log: (l) => process.stderr.write(`${l}\n`) });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-bench-bot-'));
  const env = { ...process.env, CALLORDER_ANALYSIS_CACHE: path.join(work, 'cache') };
  try {
    const tree = path.join(work, 'linux');
    fs.mkdirSync(tree);
    const g = ['--git-dir', path.join(tree, '.git'), '--work-tree', kernel];
    run('git', ['init', '-q', tree]);
    run('git', [...g, 'add', '-A', '.']);
    run('git', [...g, '-c', 'user.name=b', '-c', 'user.email=b@example.org', 'commit', '-q', '-m', 'Debian 6.12']);

    const rnd = prng(20);
    const t0 = 1796500000;
    const mails: Mail[] = [];
    // the same day with no series touching KVM: what reading and skipping cost alone
    const plain: Mail[] = [];
    let patches = 0;
    let kvmPatches = 0;
    let s = 1;
    for (; patches < total; s++) {
      const n = Math.min(total - patches, 1 + Math.floor(rnd() * rnd() * 8));
      const kvm = s % 15 === 0;
      append(mails, series(kernel, s, n, kvm, rnd, t0 + s * 10));
      append(plain, series(kernel, s, n, false, rnd, t0 + s * 10));
      patches += n;
      if (kvm) kvmPatches += n;
    }
    const mk = (name: string) => {
      const d = path.join(work, name, 'git', '0.git');
      fs.mkdirSync(d, { recursive: true });
      run('git', ['init', '-q', '--bare', d]);
      return d;
    };
    const warmGit = mk('warm');
    importMails(warmGit, series(kernel, 100000, 3, true, rnd, t0), t0);
    const dayGit = mk('day');
    importMails(dayGit, mails, t0);
    const config = (name: string, inbox: string) => {
      const f = path.join(work, `${name}.json`);
      fs.writeFileSync(f, JSON.stringify({ inbox, tree, rules: undefined, state: `${name}.sqlite`, workDir: 'work', workers,
        pollSeconds: 5, branch: 'master', startFrom: 'beginning', outbox: { maildir: `${name}-outbox` } }));
      return f;
    };
    const bot = (cfg: string) => {
      const a = Date.now();
      const r = spawnSync(process.execPath, [CLI, 'bot', 'run', '--config', cfg, '--once'], { cwd: work, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bot: exit ${r.status}: ${r.stderr}`);
      return (Date.now() - a) / 1000;
    };
    const plainGit = mk('plain');
    importMails(plainGit, plain, t0);
    const warm = bot(config('warm', path.join(work, 'warm')));
    const plainSecs = bot(config('plain', path.join(work, 'plain')));
    const dayCfg = config('day', path.join(work, 'day'));
    const secs = bot(dayCfg);
    const db = path.join(work, 'day.sqlite');
    const res = {
      cores: os.availableParallelism(),
      workers,
      patches,
      mails: mails.length,
      kvmPatches,
      warmupSeconds: Number(warm.toFixed(1)),
      noKvmSeconds: Number(plainSecs.toFixed(1)),
      seconds: Number(secs.toFixed(1)),
      patchesPerMinute: Math.round(patches / (secs / 60)),
      reviewed: count(db, `SELECT COUNT(*) AS n FROM series WHERE status = 'reviewed'`),
      skipped: count(db, `SELECT COUNT(*) AS n FROM series WHERE status = 'skipped'`),
      failed: count(db, `SELECT COUNT(*) AS n FROM series WHERE status = 'failed'`),
      latencySeconds: 0,
      failures: (() => {
        const d = new Database(db, { readonly: true });
        try {
          return (d.prepare(`SELECT id, reason FROM series WHERE status = 'failed' ORDER BY id`).all() as { id: string; reason: string }[])
            .map((r) => `${r.id}: ${r.reason}`);
        } finally {
          d.close();
        }
      })(),
    };

    // latency: the bot follows the archive; a KVM series arrives
    const c = spawn(process.execPath, [CLI, 'bot', 'run', '--config', dayCfg], { cwd: work, env, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 3000));
    const late = series(kernel, 200000, 3, true, rnd, t0 + 1000000);
    importMails(dayGit, late, t0 + 1000000);
    const arrived = Date.now();
    const id = '<bench.200000.0@example.org> v1';
    for (;;) {
      const d = new Database(db, { readonly: true });
      const st = (d.prepare('SELECT status FROM series WHERE id = ?').get(id) as { status: string } | undefined)?.status;
      d.close();
      if (st === 'reviewed' || st === 'failed') break;
      if (Date.now() - arrived > 300_000) throw new Error('the late series was not reviewed within 300 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    res.latencySeconds = Number(((Date.now() - arrived) / 1000).toFixed(1));
    c.kill('SIGTERM');
    const out = JSON.stringify(res, null, 2);
    process.stdout.write(`${out}\n`);
    const json = arg('--json', '');
    if (json) fs.writeFileSync(json, `${out}\n`);
  } finally {
    if (process.argv.includes('--keep')) process.stderr.write(`bench-bot: kept ${work}\n`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-bot: ${(e as Error).message}\n`);
  process.exit(1);
});
