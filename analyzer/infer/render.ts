// The three forms of infer's answer: text (the ranked beliefs, then each
// deviant as a finding in the kernel's warning style), JSON, and a pack of
// rules of the existing kinds with the evidence as YAML comments.

import { stringify } from 'yaml';
import { fingerprint, traceOf, type Finding } from '../flow/finding';
import { renderText } from '../report/text';
import { beliefText, byKindInTurn, candidateText, families, keyOf, type Belief } from './beliefs';
import type { InferResult } from './infer';
import { unitIndex } from './units';

export type InferFormat = 'text' | 'json' | 'pack';

export function support(b: Belief): string {
  const units = b.units > 1 && b.units !== b.n ? ` (${b.unitsHolding} of ${b.units} units)` : '';
  return `in ${b.holds} of ${b.n} paths${units} from ${b.entry}`;
}

export function beliefLine(b: Belief): string {
  return `${beliefText(b)} ${support(b)}`;
}

/**
 * Each deviant once: a site is told by the best-ranked belief it breaks, so
 * one odd path does not fill the list. A site is the place with the unit and
 * the unit's step that reaches it: cpuid_maxphyaddr() read from
 * kvm_mmu_create() and from kvm_vcpu_reserved_gpa_bits_raw() are two readers
 * that come too early, not one.
 */
export function deviantsOf(beliefs: Belief[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const b of beliefs) {
    for (const d of [...b.deviants].sort((x, y) => cmpSite(x.at, y.at))) {
      const step = d.at.stack[unitIndex(d.at.stack) + 1]?.fn.name ?? '';
      const k = `${d.at.fn.file}:${d.at.line}:${d.at.col}|${d.unit}|${step}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const chain = d.at.stack.map((f) => f.fn.name).join('>');
      out.push({
        id: fingerprint(['infer', keyOf(b), d.at.fn.name, chain]),
        rule: `infer ${b.kind} z=${b.z.toFixed(2)}`,
        kind: b.kind,
        severity: 'warning',
        confidence: confidenceOf(b),
        message: `${beliefLine(b)}; this one does not`,
        file: d.at.fn.file,
        line: d.at.line,
        column: d.at.col,
        function: d.at.fn.name,
        entry: b.entry,
        trace: traceOf(d.at, noteOf(b, d.subject ?? b.subject)),
      });
    }
  }
  return out;
}

function noteOf(b: Belief, subject: string): string {
  switch (b.kind) {
    case 'requires-before': return `calls ${subject}() without ${candidateText(b.candidate)} before it on every path`;
    case 'init-before-read': return `reads ${subject} on a path where it was not written`;
    case 'must-follow': return `writes ${subject}; ${candidateText(b.candidate)} does not follow on every path`;
    case 'guarded': return `writes ${subject} on a path without ${candidateText(b.candidate)}`;
  }
}

function cmpSite(a: { fn: { file: string }; line: number }, b: { fn: { file: string }; line: number }): number {
  return a.fn.file < b.fn.file ? -1 : a.fn.file > b.fn.file ? 1 : a.line - b.line;
}

function confidenceOf(b: Belief): 'high' | 'medium' | 'low' {
  return b.z >= 3 ? 'high' : b.z >= 1.5 ? 'medium' : 'low';
}

export function renderInfer(r: InferResult, format: InferFormat, top: number): string {
  const fams = byKindInTurn(families(r.beliefs)).slice(0, top);
  const beliefs = fams.map((f) => f.best);
  const deviants = deviantsOf(r.beliefs.filter((b) => b.deviants.length)).slice(0, top);
  if (format === 'json') {
    return `${JSON.stringify({
      entries: r.entries,
      missing: r.missing,
      beliefs: beliefs.map((b, i) => ({
        entry: b.entry, kind: b.kind, subject: b.subject, ...(b.subjects ? { subjects: b.subjects } : {}), candidate: b.candidate, belief: beliefText(b),
        n: b.n, holds: b.holds, units: b.units, unitsHolding: b.unitsHolding, z: round(b.z),
        deviants: b.deviants.length, alsoFor: fams[i].others.map((o) => o.subject),
      })),
      deviants,
    }, null, 2)}\n`;
  }
  if (format === 'pack') return packOf(beliefs);
  const out: string[] = [`beliefs (top ${beliefs.length} of ${r.beliefs.length}, each candidate once, by z within each kind, the kinds in turn):`];
  beliefs.forEach((b, i) => {
    const n = fams[i].others.length;
    const also = n ? `; also before ${n} other${n === 1 ? '' : 's'} (${fams[i].others.slice(0, 3).map((o) => o.subject).join(', ')}${n > 3 ? ', ...' : ''})` : '';
    out.push(`${String(i + 1).padStart(3)}. z=${b.z.toFixed(2)} ${b.kind}: ${beliefLine(b)}${also}`);
  });
  out.push(`deviants (top ${deviants.length}):`);
  return `${out.join('\n')}\n${renderText(deviants)}`;
}

function round(z: number): number {
  return Math.round(z * 1000) / 1000;
}

const GLOB = /^[A-Za-z_*][A-Za-z0-9_*]*$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

/** A belief as a rule of its kind, or null when its names are not ones a pack can hold (an ops member). */
function ruleOf(b: Belief, i: number): Record<string, unknown> | null {
  const c = b.candidate;
  const base = {
    id: `inferred-${i + 1}-${b.kind}`,
    kind: b.kind,
    description: `inferred by callorder infer: ${beliefLine(b)} (z=${b.z.toFixed(2)}, ${b.deviants.length} deviant${b.deviants.length === 1 ? '' : 's'})`,
    confidence: confidenceOf(b),
  };
  switch (b.kind) {
    case 'requires-before':
      if (c.k !== 'call' || !GLOB.test(b.subject) || !GLOB.test(c.name)) return null;
      return { ...base, message: `{op}() without ${c.name}() before it on the path from {entry}`, entries: [b.entry], operations: [b.subject], acquire: [c.name] };
    case 'init-before-read':
      if (!FIELD.test(b.subject)) return null;
      if (!(b.subjects ?? [b.subject]).every((f) => FIELD.test(f))) return null;
      return { ...base, message: '{field} is read before it is written on the path from {entry}', entries: [b.entry], fields: b.subjects ?? [b.subject] };
    case 'must-follow':
      if (c.k !== 'call' || !FIELD.test(b.subject) || !GLOB.test(c.name)) return null;
      return { ...base, message: '{trigger} but {follow}() does not follow before {function}() returns', trigger: [{ write: b.subject }], follow: [c.name] };
    case 'guarded': {
      const fields = (b.subjects ?? [b.subject]).filter((f) => FIELD.test(f));
      if (!fields.length) return null;
      const predicate = c.k === 'test-call' && GLOB.test(c.name) ? { call: c.name } : c.k === 'test-field' && FIELD.test(c.field) ? { field: c.field } : null;
      if (!predicate) return null;
      return { ...base, message: `a path from {entry} {change} without testing ${candidateText(c).replace(/^a test of /, '')} first`, entries: [b.entry], changes: fields.map((f) => ({ write: f })), predicate: [predicate] };
    }
  }
}

function packOf(beliefs: Belief[]): string {
  const out: string[] = [
    '# callorder infer --format pack: the top beliefs as rules, to review before they join a pack.',
    '# Each rule\'s evidence is the comment above it and its description.',
    'rules:',
  ];
  beliefs.forEach((b, i) => {
    const r = ruleOf(b, i);
    out.push(`  # evidence: ${beliefLine(b)}; z=${b.z.toFixed(2)}`);
    for (const d of b.deviants.slice(0, 3)) out.push(`  # deviant: ${d.at.fn.file}:${d.at.line} ${d.at.fn.name}() in ${d.unit}`);
    if (!r) {
      out.push('  # (not a rule: an ops member or a name a pack cannot hold)');
      return;
    }
    const y = stringify([r], { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`);
    for (const l of y) out.push(l);
  });
  return `${out.join('\n')}\n`;
}
