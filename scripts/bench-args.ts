// The arguments of the bench's child scripts: TREE [--runs N] [--jobs N] [--include GLOB ...] [--stop-after PHASE]

import * as os from 'node:os';

export interface ChildArgs {
  root: string;
  runs: number;
  jobs: number;
  include: string[];
  /** bench-phases: end after this phase (parse: the front end alone, on a tree whose analysis takes long) */
  stopAfter?: string;
}

export function childArgs(argv: string[]): ChildArgs {
  const a: ChildArgs = { root: argv[0], runs: 5, jobs: os.availableParallelism(), include: [] };
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--runs') a.runs = Number(argv[++i]);
    else if (argv[i] === '--jobs') a.jobs = Number(argv[++i]);
    else if (argv[i] === '--include') a.include.push(argv[++i]);
    else if (argv[i] === '--stop-after') a.stopAfter = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return a;
}
