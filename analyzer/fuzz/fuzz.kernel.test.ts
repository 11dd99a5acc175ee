// Fuzz test: real KVM files of the Debian 6.12 tree, mutated (see mutate.ts),
// through the whole pipeline (see harness.ts for what each case checks).
//
//   CALLORDER_FUZZ_SEED=N    replay a run (the seed is in the test's name)
//   CALLORDER_FUZZ_CASES=N   run N cases instead of 2,000
//   CALLORDER_FUZZ_CASE=I    run case I of the seed alone
//
// The cases run in a child process: a case that hangs is stopped after
// HANG_MS and reported with its input, which is kept with every failing one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import { fork } from 'node:child_process';
import { fetchKernel } from '../source/fetch-kernel';
import { defaultPackPath } from '../pack/load';
import { DEFAULT_LIMITS } from '../parse/parse-file';
import { CURRENT, type ChildConfig, type ChildMessage } from './child';
import type { CaseResult } from './harness';

const env = process.env;
const SEED = env.CALLORDER_FUZZ_SEED ? Number(env.CALLORDER_FUZZ_SEED) >>> 0 : randomInt(2 ** 32);
const ONLY = env.CALLORDER_FUZZ_CASE !== undefined ? Number(env.CALLORDER_FUZZ_CASE) : undefined;
const FROM = ONLY ?? 0;
const TO = ONLY !== undefined ? ONLY + 1 : Number(env.CALLORDER_FUZZ_CASES ?? 2000);
/** the per-file parse budget in the fuzz run (--timeout 2) */
const TIMEOUT_MS = 2000;
/**
 * a case slower than this fails as "nearly hung"; one silent for HANG_MS is
 * stopped (generous: on a loaded shared machine a 20 ms case once took 30 s)
 */
const SLOW_MS = 60_000;
const HANG_MS = 300_000;
/** the first setup parses the unmodified files and runs the baseline */
const SETUP_MS = 300_000;
/** the findings comparison must apply to at least this share of the cases */
const MIN_COMPARED = 0.5;

test(`fuzz: ${TO - FROM} mutated KVM files through the whole pipeline (seed ${SEED})`, async (t) => {
  const kernel = fetchKernel('6.12');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-fuzz-'));
  const keepDir = path.join(scratch, 'failing-inputs');
  const cfg: ChildConfig = {
    kernel, scratch, keepDir, packFile: defaultPackPath(), seed: SEED, from: FROM, to: TO,
    limits: { ...DEFAULT_LIMITS, timeoutMs: TIMEOUT_MS },
  };
  const started = Date.now();
  const results: CaseResult[] = [];
  let ready: Extract<ChildMessage, { t: 'ready' }> | undefined;
  let childError = '';
  let hung = '';
  const stderr: string[] = [];

  await new Promise<void>((resolve) => {
    const child = fork(path.join(__dirname, 'child.js'), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        let current = 'setup';
        try { current = fs.readFileSync(path.join(scratch, CURRENT), 'utf8'); } catch { /* still in setup */ }
        hung = results.length === TO - FROM
          ? `the fuzz child did not exit within ${ms / 1000} s of its last case`
          : `no result for ${ms / 1000} s after case ${results.length ? results[results.length - 1].i : 'none'}; running: ${current}`;
        try {
          const c = JSON.parse(current) as { i: number; file: string };
          fs.mkdirSync(keepDir, { recursive: true });
          fs.copyFileSync(path.join(scratch, c.file), path.join(keepDir, `case-${c.i}-${path.basename(c.file)}`));
        } catch { /* no input to keep */ }
        child.kill('SIGKILL');
      }, ms);
    };
    arm(SETUP_MS);
    child.on('message', (m: ChildMessage) => {
      if (m.t === 'ready') ready = m;
      else if (m.t === 'done') results.push(m.r);
      else if (m.t === 'error') childError = m.message;
      arm(HANG_MS);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send(cfg);
  });

  const secs = (Date.now() - started) / 1000;
  const failing = results.filter((r) => r.failures.length || r.ms > SLOW_MS);
  const replay = (i: number) => `CALLORDER_FUZZ_SEED=${SEED} CALLORDER_FUZZ_CASE=${i} node --test dist/analyzer/fuzz/fuzz.kernel.test.js`;
  t.diagnostic(`seed ${SEED}: ${results.length} of ${TO - FROM} cases in ${secs.toFixed(0)} s (${(1000 * secs / Math.max(1, results.length)).toFixed(0)} ms a case)`);
  if (ready) t.diagnostic(`unmodified: ${ready.unmodified.join(', ')} (${ready.entries} entries, ${ready.baseline} findings); mutated files drawn from ${ready.pool}`);
  const count = (f: (r: CaseResult) => string | undefined) => {
    const m = new Map<string, number>();
    for (const r of results) {
      const k = f(r);
      if (k) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  };
  t.diagnostic(`mutations: ${count((r) => r.kind)}`);
  t.diagnostic(`mutated file skipped: ${count((r) => r.skipped?.replace(/^[^:]*:(\d+:\d+:)? /, '').replace(/\d+/g, 'N')) || 'never'}`);
  t.diagnostic(`notes on files read: ${count((r) => (r.skipped ? undefined : r.notes.map((n) => n.replace(/^.*?: (\w+\(\): )?/, '').replace(/\d+/g, 'N')).sort().join(' + ') || undefined)) || 'none'}`);
  const compared = results.filter((r) => r.compared).length;
  t.diagnostic(`findings of the unmodified files compared with the baseline in ${compared} cases`);
  const slow = [...results].sort((a, b) => b.ms - a.ms).slice(0, 3);
  t.diagnostic(`slowest: ${slow.map((r) => `case ${r.i} ${r.kind} (${r.what.slice(0, 40)}) ${r.ms} ms`).join('; ')}`);
  // only the failing inputs stay
  for (const e of fs.readdirSync(scratch)) if (path.join(scratch, e) !== keepDir) fs.rmSync(path.join(scratch, e), { recursive: true, force: true });
  if (fs.existsSync(keepDir)) t.diagnostic(`failing inputs kept in ${keepDir}`);
  else fs.rmSync(scratch, { recursive: true, force: true });

  assert.equal(childError, '', `the fuzz child failed: ${childError}\n${stderr.join('')}`);
  assert.equal(hung, '', `${hung}\nreplay: ${replay(results.length ? results[results.length - 1].i + 1 : FROM)}`);
  assert.ok(ready && ready.baseline > 0, 'the unmodified files give no findings: the comparison with the baseline would prove nothing');
  assert.deepEqual(failing.slice(0, 10).map((r) => [
    `case ${r.i}: ${r.file}, ${r.kind}: ${r.what.slice(0, 300)}`,
    ...(r.ms > SLOW_MS ? [`took ${r.ms} ms`] : []),
    ...r.failures.map((f) => f.slice(0, 3000)),
    `replay: ${replay(r.i)}`,
  ].join('\n')), [], `${failing.length} failing cases`);
  assert.equal(results.length, TO - FROM);
  if (ONLY === undefined) {
    assert.ok(compared >= MIN_COMPARED * results.length, `the baseline comparison applied to only ${compared} of ${results.length} cases`);
  }
});
