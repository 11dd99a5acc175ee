// One entry for every output format, so check, review and the hook print a
// finding the same way.

import { checkJson } from './json';
import { renderText } from './text';
import type { ReportInput } from './model';
import { VERSION } from '../version';

export const FORMATS = ['text', 'json', 'sarif', 'email'] as const;
export type Format = (typeof FORMATS)[number];

export function json(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

export function render(format: Format, input: ReportInput): string {
  switch (format) {
    case 'json':
      return json({
        ...checkJson(input.tree, input.findings, input.stats),
        ...(input.head ? { head: input.head } : {}),
        ...(input.old ? { baseline: { against: input.against ?? '', unchanged: input.old.length } } : {}),
        ...(input.series ? {
          series: input.series.map((p) => ({ index: p.index, subject: p.subject, messageId: p.messageId, findings: p.findings, ...(p.notes?.length ? { notes: p.notes } : {}) })),
        } : {}),
      });
    // the formats a plain check does not print are loaded when asked for
    case 'sarif':
      return json((require('./sarif') as typeof import('./sarif')).sarifLog(input));
    case 'email':
      return (require('./email') as typeof import('./email')).emailBody(input);
    default:
      return renderText(input.findings);
  }
}

/** The answer to input callorder could not use, in the format asked for. */
export function renderError(format: Format, message: string): string {
  switch (format) {
    case 'json':
      return json({ version: 1, tool: { name: 'callorder', version: VERSION }, error: message, findings: [] });
    case 'sarif':
      return json((require('./sarif') as typeof import('./sarif')).sarifError(message));
    case 'email':
      return `callorder could not check this:\n\n    ${message}\n\n-- \ncallorder ${VERSION}, call-ordering checks for KVM x86\n`;
    default:
      return '';
  }
}
