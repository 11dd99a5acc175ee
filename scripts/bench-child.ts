// Runs `callorder ARGS` as bin/callorder does, then writes its own resource use
// (peak RSS, CPU of every thread) as JSON to the file named by BENCH_STATS.
// The parent times the whole process from outside, Node start-up included.

import * as fs from 'node:fs';
import { main } from '../analyzer/cli';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  const out = process.env.BENCH_STATS;
  if (!out) return;
  process.on('exit', () => {
    const u = process.resourceUsage();
    fs.writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
});
