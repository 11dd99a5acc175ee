// Runs `callorder ARGS` as bin/callorder does (a resident server of this build
// answers when one listens, else the CLI runs here), then writes its own
// resource use (peak RSS, CPU of every thread) as JSON to the file named by
// BENCH_STATS. The parent times the whole process from outside, Node start-up
// included.

import * as fs from 'node:fs';
import { viaServer } from '../analyzer/server/client';

const argv = process.argv.slice(2);
viaServer(argv)
  .then((code) => code ?? (require('../analyzer/cli') as typeof import('../analyzer/cli')).main(argv))
  .then((code) => {
    process.exitCode = code;
    const out = process.env.BENCH_STATS;
    if (!out) return;
    process.on('exit', () => {
      const u = process.resourceUsage();
      fs.writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
    });
  });
