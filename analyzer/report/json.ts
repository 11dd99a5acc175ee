import * as path from 'node:path';
import type { Finding } from '../flow/finding';
import type { AnalysisStats } from './model';
import { VERSION } from '../version';

/** What a check counted: the analysis's own statistics. */
export type CheckStats = AnalysisStats;

export function checkJson(tree: string, findings: Finding[], stats: CheckStats): object {
  return {
    version: 1,
    tool: { name: 'callorder', version: VERSION },
    tree: path.basename(tree),
    findings,
    stats,
  };
}
