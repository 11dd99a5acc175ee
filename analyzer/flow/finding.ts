// A finding and the trace that proves it. The id is a fingerprint that
// leaves line numbers out, so an edit that moves code does not make an old
// finding look new.

import { createHash } from 'node:crypto';
import type { Site } from './hooks';

export interface TraceStep {
  function: string;
  file: string;
  line: number;
  note: string;
}

export interface Finding {
  id: string;
  rule: string;
  kind: string;
  severity: 'warning' | 'error';
  confidence: string;
  message: string;
  file: string;
  line: number;
  column: number;
  function: string;
  entry: string;
  field?: string;
  trace: TraceStep[];
}

/** The trace of an event at `at`: the entry, each call down to the frame, then the event. */
export function traceOf(at: Site, note: string): TraceStep[] {
  const steps: TraceStep[] = [];
  const frames = at.stack;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const next = frames[i + 1];
    // why the path went this way in this frame: a branch the facts decided
    for (const d of at.decided ?? []) {
      if (d.depth !== i) continue;
      steps.push({ function: f.fn.name, file: f.fn.file, line: d.line,
        note: `${d.text} is ${d.set}: ${d.field} ${d.set ? 'has' : 'does not have'} ${d.bit} on this path` });
    }
    if (next) {
      steps.push({ function: f.fn.name, file: f.fn.file, line: next.callLine, note: `calls ${next.fn.name}()${next.via ? ` via ${next.via}` : ''}` });
    } else {
      steps.push({ function: f.fn.name, file: f.fn.file, line: at.line, note });
    }
  }
  return steps;
}

export function fingerprint(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

export function sortFindings(fs: Finding[]): Finding[] {
  return fs.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 :
    a.line - b.line || a.column - b.column ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
