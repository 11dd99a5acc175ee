// Runs a pack with and without blind summaries shared between entries, for
// shared.test.ts (every fixture) and shared.kernel.test.ts (the real trees).

import type { Pack } from '../pack/load';
import type { Program } from '../program/program';
import { runRules } from './run';
import type { Finding } from './finding';

/** The findings of a run that shares blind summaries, of one that keeps each private, and how many the first stored. */
export function withAndWithout(p: Program, pack: Pack, only?: string[]): { shared: Finding[]; alone: Finding[]; stored: number } {
  const s = runRules(p, pack, only);
  const a = runRules(p, pack, only, undefined, { share: false });
  return { shared: s.findings, alone: a.findings, stored: s.summaries.size };
}
