import * as path from 'node:path';
import type { Finding } from '../flow/finding';
import { VERSION } from '../version';

export interface CheckStats {
  files: number;
  bytes: number;
  functions: number;
  entries: number;
  rules: number;
  notes: string[];
}

export function checkJson(tree: string, findings: Finding[], stats: CheckStats): object {
  return {
    version: 1,
    tool: { name: 'callorder', version: VERSION },
    tree: path.basename(tree),
    findings,
    stats,
  };
}
