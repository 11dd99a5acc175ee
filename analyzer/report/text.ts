// The kernel's warning style: one line a finding, then the trace, indented,
// one step a line.

import type { Finding } from '../flow/finding';

export function renderText(findings: Finding[]): string {
  const out: string[] = [];
  for (const f of findings) {
    out.push(`${f.file}:${f.line}:${f.column}: ${f.function}(): ${f.severity}: ${f.message} [${f.rule}]`);
    for (const [i, s] of f.trace.entries()) {
      out.push(`    ${i === 0 ? '' : '→ '}${s.function}() ${s.file}:${s.line}: ${s.note}`);
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
