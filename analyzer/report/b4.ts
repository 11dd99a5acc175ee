// b4's review-check JSON, so `b4` can run callorder as a check command: one
// entry a patch, [{"tool", "status": "pass|warn|fail", "summary", "url",
// "details"}], details being the warning lines with their paths.

import type { PatchReport } from './model';
import { warnLine } from './email';

export interface B4Check {
  tool: 'callorder';
  status: 'pass' | 'warn' | 'fail';
  summary: string;
  url: string;
  details: string;
}

export function b4Checks(series: PatchReport[]): string {
  const out: B4Check[] = series.map((p) => {
    const n = p.findings.length;
    const details: string[] = [];
    for (const f of p.findings) {
      details.push(warnLine(f));
      for (const [i, s] of f.trace.entries()) details.push(`    ${i === 0 ? '' : '-> '}${s.function}() ${s.file}:${s.line}: ${s.note}`);
    }
    return {
      tool: 'callorder',
      status: n ? 'warn' : 'pass',
      summary: n ? `${n} new call-ordering warning${n > 1 ? 's' : ''}` : 'no new call-ordering warnings',
      url: '',
      details: details.join('\n'),
    };
  });
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** input callorder could not use, as one failed check */
export function b4Error(message: string): string {
  const c: B4Check = { tool: 'callorder', status: 'fail', summary: message, url: '', details: '' };
  return `${JSON.stringify([c], null, 2)}\n`;
}
