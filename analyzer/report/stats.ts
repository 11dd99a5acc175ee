// Parse coverage: how much of the tree the front end reads cleanly.

import type { TreeFacts } from '../program/program';

export interface StatsReport {
  files: number;
  bytes: number;
  functionCount: number;
  functionsWithError: number;
  cleanPercent: number;
  functions: { name: string; file: string; line: number; hasError: boolean }[];
  worstFiles: { file: string; functions: number; withError: number }[];
  notes: string[];
}

export function computeStats(t: TreeFacts): StatsReport {
  const functions: StatsReport['functions'] = [];
  const perFile: StatsReport['worstFiles'] = [];
  for (const f of t.files) {
    let bad = 0;
    for (const fn of f.functions) {
      functions.push({ name: fn.name, file: fn.file, line: fn.line, hasError: fn.hasError });
      if (fn.hasError) bad++;
    }
    if (bad) perFile.push({ file: f.file, functions: f.functions.length, withError: bad });
  }
  functions.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  perFile.sort((a, b) => b.withError - a.withError || (a.file < b.file ? -1 : 1));
  const withError = functions.filter((f) => f.hasError).length;
  return {
    files: t.files.length,
    bytes: t.bytes,
    functionCount: functions.length,
    functionsWithError: withError,
    cleanPercent: functions.length ? Math.round((10000 * (functions.length - withError)) / functions.length) / 100 : 100,
    functions,
    worstFiles: perFile.slice(0, 10),
    notes: t.notes,
  };
}
