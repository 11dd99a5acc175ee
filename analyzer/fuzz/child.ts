// The fuzz loop, in a child process of the test so that a case that hangs
// can be stopped from outside. Before each case it writes which case starts
// to CURRENT in the scratch directory, synchronously, since a message sent
// just before a hang may never leave; the mutated input is on disk by then.
// After each case it sends the result.
//
// Started with fork(); its configuration comes as the first message.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCase, setup, type CaseResult } from './harness';
import { loadPack } from '../pack/load';
import type { ParseLimits } from '../parse/parse-file';

export interface ChildConfig {
  kernel: string;
  scratch: string;
  packFile: string;
  limits: ParseLimits;
  keepDir: string;
  seed: number;
  /** case numbers to run */
  from: number;
  to: number;
}

export const CURRENT = 'current-case.json';

export type ChildMessage =
  | { t: 'ready'; unmodified: string[]; pool: number; baseline: number; entries: number }
  | { t: 'done'; r: CaseResult }
  | { t: 'end' }
  | { t: 'error'; message: string };

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(m, () => resolve()));
}

process.once('message', (cfg: ChildConfig) => {
  void (async () => {
    try {
      const fz = setup({ kernel: cfg.kernel, scratch: cfg.scratch, pack: loadPack(cfg.packFile), limits: cfg.limits, keepDir: cfg.keepDir });
      await send({ t: 'ready', unmodified: fz.unmodified.map((f) => f.file), pool: fz.pool.length, baseline: fz.baselineCount, entries: fz.uRules[0]?.entries?.length ?? 0 });
      for (let i = cfg.from; i < cfg.to; i++) {
        const r = runCase(fz, cfg.seed, i, (c) => fs.writeFileSync(path.join(cfg.scratch, CURRENT), JSON.stringify({ i, ...c })));
        await send({ t: 'done', r });
      }
      await send({ t: 'end' });
    } catch (e) {
      await send({ t: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
    // the results are out; nothing is left to wait for
    process.exit(0);
  })();
});
