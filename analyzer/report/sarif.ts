// SARIF 2.1.0 for code-scanning services: paths relative to %SRCROOT% (the
// tree root), the trace as a threadFlow, and the line-free finding id as the
// partial fingerprint, so a service matches a finding across edits that move it.

import type { Finding } from '../flow/finding';
import type { RuleSpec } from '../pack/rule-spec';
import { VERSION } from '../version';
import type { ReportInput } from './model';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'callorderId/v1';
const ROOT = '%SRCROOT%';

function location(file: string, line: number, column?: number) {
  return {
    physicalLocation: {
      artifactLocation: { uri: encodeURI(file), uriBaseId: ROOT },
      region: column ? { startLine: line, startColumn: column } : { startLine: line },
    },
  };
}

function ruleDescriptor(r: RuleSpec) {
  const full = r.description ?? r.message;
  const short = full.split(/(?<=\.)\s/)[0];
  return {
    id: r.id,
    name: r.id,
    shortDescription: { text: short },
    fullDescription: { text: full },
    help: { text: full },
    defaultConfiguration: { level: r.severity ?? 'warning' },
    properties: { kind: r.kind, precision: r.confidence, tags: ['call-ordering', r.kind] },
  };
}

function result(f: Finding, ruleIndex: number, input: ReportInput, compared: boolean) {
  const patch = input.series?.find((p) => p.findings.some((x) => x.id === f.id));
  return {
    ruleId: f.rule,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    level: f.severity,
    message: { text: f.message },
    locations: [{
      ...location(f.file, f.line, f.column),
      logicalLocations: [{ name: f.function, kind: 'function' }],
    }],
    partialFingerprints: { [FINGERPRINT_KEY]: f.id },
    codeFlows: [{
      message: { text: `from ${f.entry}` },
      threadFlows: [{
        locations: f.trace.map((s, i) => ({
          location: { ...location(s.file, s.line), message: { text: `${s.function}(): ${s.note}` } },
          nestingLevel: i,
          executionOrder: i + 1,
        })),
      }],
    }],
    ...(compared ? { baselineState: 'new' } : {}),
    properties: {
      entry: f.entry,
      confidence: f.confidence,
      ...(f.field ? { field: f.field } : {}),
      ...(patch ? { patch: { index: patch.index, total: patch.total, subject: patch.subject, messageId: patch.messageId } } : {}),
    },
  };
}

export function sarifLog(input: ReportInput): object {
  const rules = [...input.rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const compared = input.old !== undefined;
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'callorder', version: VERSION, semanticVersion: VERSION, rules: rules.map(ruleDescriptor) } },
      originalUriBaseIds: { [ROOT]: { description: { text: `root of the kernel tree ${input.tree}` } } },
      columnKind: 'unicodeCodePoints',
      invocations: [{
        executionSuccessful: true,
        toolExecutionNotifications: input.stats.notes.map((n) => ({ level: 'note', message: { text: n } })),
      }],
      results: input.findings.map((f) => result(f, index.get(f.rule) ?? -1, input, compared)),
      properties: {
        tree: input.tree,
        ...(input.head ? { head: input.head } : {}),
        ...(input.against ? { against: input.against, unchanged: input.old?.length ?? 0 } : {}),
      },
    }],
  };
}

/** A run that failed on its input: no results, the reason as an error notification. */
export function sarifError(message: string): object {
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'callorder', version: VERSION, semanticVersion: VERSION } },
      invocations: [{
        executionSuccessful: false,
        toolExecutionNotifications: [{ level: 'error', message: { text: message } }],
      }],
      results: [],
    }],
  };
}
