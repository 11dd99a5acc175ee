// SIGINT and SIGTERM in the middle of `check` and `review`, through the built
// CLI on a generated tree: the run ends with 128+signo and one line on stderr
// (or, before callorder's handlers are in place, by the signal itself, with
// nothing on stderr); it leaves no temporary file in its cache or under
// TMPDIR (a directory of the test's own), every entry it left is a sound one,
// and a run on that cache afterwards prints what a run without a cache prints.
// The kill points are found by watching the cache fill, not by the clock.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { EntryStore, ENTRY_KINDS } from '../cache/store';
import { speedTree, generated, SPEED_PACK, CLI } from '../source/speed-tree.fixture';
import { seriesMbox } from '../review/mail.fixture';

const SIGNO = { SIGINT: 2, SIGTERM: 15 } as const;
type Sig = keyof typeof SIGNO;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** every file under dir, relative, recursively */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name))).sort();
}

function entryCount(cache: string, kind: string): number {
  return filesUnder(path.join(cache, kind)).filter((f) => f.endsWith('.json')).length;
}

function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  return new Promise((resolve) => {
    const poll = () => {
      if (cond()) resolve(true);
      else if (Date.now() > end) resolve(false);
      else setTimeout(poll, 5);
    };
    poll();
  });
}

function start(args: string[], env: NodeJS.ProcessEnv, stdin?: string | 'open') {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (stdin !== 'open') child.stdin.end(stdin ?? '');
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** The run ended on sig: by callorder's handler, or (early, when `early` allows it) by the signal itself. */
function assertInterrupted(r: Run, sig: Sig, early = false): void {
  if (early && r.signal === sig) {
    assert.equal(r.stderr, '', 'killed before the handlers were in place: nothing printed');
    return;
  }
  assert.equal(r.signal, null, `ended by ${r.signal}, not by callorder's handler\n${r.stderr}`);
  assert.equal(r.code, 128 + SIGNO[sig], r.stderr);
  assert.equal(r.stderr, `callorder: interrupted by ${sig}\n`, 'one line, no stack trace');
}

/** No temporary file in the cache or under TMPDIR; every entry left reads as sound. */
function assertClean(cache: string, tmp: string): void {
  assert.deepEqual(fs.readdirSync(tmp), [], 'nothing left under TMPDIR');
  const left = filesUnder(cache);
  assert.deepEqual(left.filter((f) => f.includes('.tmp-')), [], 'no temporary file left in the cache');
  for (const f of left) {
    const [kind, shard, name] = f.split(path.sep);
    assert.ok((ENTRY_KINDS as readonly string[]).includes(kind) && name?.endsWith('.json') && name.startsWith(shard), `only entries in the cache: ${f}`);
    assert.ok(new EntryStore(kind as 'facts', cache).readRaw(name.slice(0, -'.json'.length)), `${f} is a whole entry`);
  }
}

describe('interrupted runs', () => {
  let work: string;
  let tree: string;
  let mbox: string;
  let n = 0;
  // 30 generated files take a few seconds to parse on two threads: time to catch the run inside each phase
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    tree = speedTree(30);
    mbox = path.join(work, 'series.mbox');
    fs.writeFileSync(mbox, series());
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(tree, { recursive: true, force: true });
  });

  /** a fresh cache and TMPDIR */
  function dirs(): { cache: string; tmp: string; env: NodeJS.ProcessEnv } {
    const d = path.join(work, `run${n++}`);
    const cache = path.join(d, 'cache');
    const tmp = path.join(d, 'tmp');
    fs.mkdirSync(cache, { recursive: true });
    fs.mkdirSync(tmp);
    return { cache, tmp, env: { ...process.env, CALLORDER_ANALYSIS_CACHE: cache, TMPDIR: tmp } };
  }

  function once(args: string[], env: NodeJS.ProcessEnv, input?: string) {
    const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', input, maxBuffer: 1 << 26 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const CHECK = () => ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
  const REVIEW = () => ['review', mbox, '--tree', tree, '--rules', SPEED_PACK, '--format', 'json'];

  let checkRef: ReturnType<typeof once>;
  let reviewRef: ReturnType<typeof once>;
  it('references: the runs without a cache', () => {
    const { env, tmp } = dirs();
    checkRef = once([...CHECK(), '--no-cache'], env);
    assert.equal(checkRef.code, 1, checkRef.stderr);
    reviewRef = once([...REVIEW(), '--no-cache'], env);
    assert.equal(reviewRef.code, 1, reviewRef.stderr);
    assert.equal(JSON.parse(reviewRef.stdout).series.length, 2);
    assert.deepEqual(fs.readdirSync(tmp), []);
  });

  /** kill at the point `when` finds, then check what is left and that the cache gives the reference's bytes */
  async function interrupt(args: string[], ref: () => ReturnType<typeof once>, sig: Sig,
    when: (cache: string, tmp: string) => boolean, opts: { stdin?: 'open'; early?: boolean; rerun?: string[] } = {}) {
    const { cache, tmp, env } = dirs();
    const run = start(args, env, opts.stdin);
    const reached = await until(() => when(cache, tmp), 60000);
    assert.ok(reached, 'the kill point was reached');
    run.child.kill(sig);
    const killed = setTimeout(() => run.child.kill('SIGKILL'), 30000);
    const r = await run.done;
    clearTimeout(killed);
    assert.notEqual(r.signal, 'SIGKILL', `did not end within 30 s of ${sig}`);
    assertInterrupted(r, sig, opts.early);
    assertClean(cache, tmp);
    const again = once(opts.rerun ?? args.filter((a) => a !== '--no-cache'), env);
    assert.deepEqual(again, ref(), 'the run after gives the bytes of a run without a cache');
    assertClean(cache, tmp);
  }

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`check, ${sig} while the workers parse`, () =>
      interrupt([...CHECK(), '--jobs', '2'], () => checkRef, sig, (c) => entryCount(c, 'facts') >= 3));
    it(`check, ${sig} while this thread parses (--jobs 1)`, () =>
      interrupt([...CHECK(), '--jobs', '1'], () => checkRef, sig, (c) => entryCount(c, 'facts') >= 3));
    // the facts of a run without a cache, bodies left on disk: a store of its own under TMPDIR
    it(`check, ${sig} while parsing into the run's own store (--no-cache --max-body-bytes 0)`, () =>
      interrupt([...CHECK(), '--jobs', '2', '--no-cache', '--max-body-bytes', '0'], () => checkRef, sig,
        (_c, t) => filesUnder(t).filter((f) => f.endsWith('.json')).length >= 3));
    it(`review, ${sig} while it waits for the patch on stdin`, async () => {
      const t0 = Date.now();
      await interrupt([...REVIEW().map((a) => (a === mbox ? '-' : a))], () => reviewRef, sig,
        () => Date.now() - t0 > 1500, { stdin: 'open', early: true, rerun: REVIEW() });
    });
    it(`review, ${sig} while the tree before the series is parsed`, () =>
      interrupt([...REVIEW(), '--jobs', '2'], () => reviewRef, sig, (c) => entryCount(c, 'facts') >= 3));
    it(`review, ${sig} while the files patch 1 adds are parsed`, () =>
      interrupt([...REVIEW(), '--jobs', '2'], () => reviewRef, sig, (c) => entryCount(c, 'results') >= 1));
  }
});

/** patch 1 adds eight generated files, patch 2 a read before the load in dev_create: one finding more */
function series(): string {
  const added = [];
  for (let i = 0; i < 8; i++) {
    const lines = generated(100 + i).split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    added.push(`diff --git a/drv1/new${i}.c b/drv1/new${i}.c`, 'new file mode 100644', '--- /dev/null', `+++ b/drv1/new${i}.c`,
      `@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`));
  }
  const read = [
    'diff --git a/create.c b/create.c', '--- a/create.c', '+++ b/create.c',
    '@@ -9,6 +9,7 @@ static int dev_setup(struct dev *d)',
    ' int dev_create(struct dev *d)', ' {', ' \tint r = dev_setup(d);', '+\tr += dev_read(d, 3);', ' ', ' \tdev_load(d);', ' \treturn r + dev_read(d, 2);',
  ];
  const subjects = ['drv1: more parts', 'dev: read early'];
  return seriesMbox([added.join('\n'), read.join('\n')], (k) => subjects[k - 1]);
}
