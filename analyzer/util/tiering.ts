// How soon V8 optimizes a function, for this program's code. By default a
// function is optimized after a short stretch of execution. The front end and
// the engine are large functions with many paths (a token kind, a statement
// kind, a rule hook), and one optimized that early deoptimizes at the first
// path its feedback did not cover, and is compiled again: in a cold check of
// KVM the optimizing compiler ran about 5 s of CPU, up to ten compilations of
// one function, on a 2-core machine where the parse threads need the cores.
// With twelve times the budget the feedback covers the common paths first:
// the same check took about a quarter less wall time and a third less CPU,
// and the hook's edit cases a fifth to a third less time (BENCHMARKS.md).
//
// The flag is process-wide, so the parse workers have it too. cli.ts imports
// this module before any other; a function's budget is taken from the flag
// whenever it is reset, so code loaded earlier follows it as well.

import * as v8 from 'node:v8';

/** V8's default is 67,584 (Node 20) */
const INTERRUPT_BUDGET = 800_000;

v8.setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
