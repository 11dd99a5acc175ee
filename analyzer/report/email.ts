// Plain text for a mail client, laid out the way the kernel test robot and
// Smatch reports are, because that is the layout reviewers already scan:
// header, "New ... warnings:" lines prefixed ">>", "Old ... warnings:",
// then for each new one `vim +LINE FILE` and a numbered excerpt with the
// line marked "@", and the tags block to paste into the fix.

import type { Finding } from '../flow/finding';
import { VERSION } from '../version';
import { sha } from '../util/hash';
import { rfc5322Date } from './header';
import { patchLabel, type PatchReport, type ReportInput, type Reporter } from './model';

const EXCERPT_BEFORE = 5;
const EXCERPT_AFTER = 2;

export function warnLine(f: Finding): string {
  return `${f.file}:${f.line} ${f.function}() warn: ${f.message} [${f.rule}]`;
}

export function excerpt(text: string | undefined, line: number): string[] {
  if (text === undefined) return ['    (source not available)'];
  const lines = text.split('\n');
  const from = Math.max(1, line - EXCERPT_BEFORE);
  const to = Math.min(lines.length, line + EXCERPT_AFTER);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    out.push(`${n === line ? '@' : ' '}${String(n).padStart(width)}  ${lines[n - 1]}`.trimEnd());
  }
  return out;
}

function traceLines(f: Finding): string[] {
  return f.trace.map((s, i) => `    ${i === 0 ? '' : '-> '}${s.function}() ${s.file}:${s.line}: ${s.note}`);
}

/** The Message-ID of a report: the same findings on the same patch get the same one. */
export function reportMessageId(reporter: Reporter, about: string, findings: Finding[]): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(reporter.identity)?.[1] ?? 'localhost';
  return `<callorder.${sha(about, findings.map((f) => f.id)).slice(0, 16)}@${domain}>`;
}

export interface EmailScope {
  /** the one patch the mail is about (a reply to it) */
  patch?: PatchReport;
  /** the Message-ID the mail will carry, for the Closes: link */
  messageId?: string;
}

export function emailBody(input: ReportInput, scope: EmailScope = {}): string {
  const compared = input.old !== undefined;
  const shown = scope.patch ? scope.patch.findings : input.findings;
  const out: string[] = [];
  // the tree is named by its commit, which a reader can fetch; a directory's name says nothing outside this machine
  const commit = input.base ?? input.head;
  out.push(`tree:     ${commit ?? `${input.tree} (no commit known)`}`);
  if (input.date) out.push(`date:     ${rfc5322Date(input.date)}`);
  const patches = scope.patch ? [scope.patch] : input.series ?? [];
  for (const [i, p] of patches.entries()) out.push(`${i === 0 ? 'patch:' : '      '}    ${patchLabel(p)}`);
  if (input.against && !patches.length) out.push(`against:  ${input.against}`);
  out.push(`checker:  callorder ${VERSION}`);
  out.push('');
  out.push('Hello,');
  out.push('');
  const what = patches.length ? (patches.length === 1 ? 'this patch' : 'this series') : compared ? 'this change' : 'this tree';
  if (shown.length) {
    out.push(`callorder, a static checker for call-ordering bugs in KVM x86, found the following`);
    out.push(`${compared ? 'new ' : ''}warnings in ${what}.`);
  } else {
    out.push(`callorder, a static checker for call-ordering bugs in KVM x86, found no ${compared ? 'new ' : ''}warnings in ${what}.`);
  }
  out.push('');
  if (shown.length) {
    out.push(compared ? 'New callorder warnings:' : 'callorder warnings:');
    for (const f of shown) {
      out.push(`${compared ? '>> ' : ''}${warnLine(f)}`);
      const from = !scope.patch && patches.length > 1 ? patches.find((p) => p.findings.includes(f)) : undefined;
      if (from) out.push(`   introduced by ${patchLabel(from)}`);
    }
    out.push('');
  }
  const noted = patches.filter((p) => p.notes?.length);
  if (noted.length) {
    // what the series did to the rules: a rule with no entry left finds nothing, whatever the code does
    out.push('Notes:');
    for (const p of noted) for (const n of p.notes!) out.push(`${patches.length > 1 ? `${patchLabel(p)} ` : 'this patch '}${n}`);
    out.push('');
  }
  if (compared && input.old!.length) {
    out.push('Old callorder warnings:');
    for (const f of input.old!) out.push(warnLine(f));
    out.push('');
  }
  for (const f of shown) {
    const from = patches.find((p) => p.findings.includes(f));
    out.push(`vim +${f.line} ${f.file}`);
    out.push('');
    for (const l of excerpt((from?.source ?? input.source)(f.file), f.line)) out.push(l);
    out.push('');
    out.push(`call path from ${f.entry}:`);
    for (const l of traceLines(f)) out.push(l);
    out.push('');
  }
  if (shown.length) {
    const mid = scope.messageId ?? reportMessageId(input.reporter, patches.map((p) => p.messageId).join(' ') || input.tree, shown);
    out.push('If you fix the issue in a separate patch/commit (i.e. not just a new version of');
    out.push('the same patch/commit), kindly add following tags');
    out.push(`| Reported-by: ${input.reporter.identity}`);
    if (input.reporter.closesUrlBase) out.push(`| Closes: ${input.reporter.closesUrlBase}${mid.replace(/^<|>$/g, '')}/`);
    out.push('');
  }
  out.push('-- ');
  out.push(`callorder ${VERSION}, call-ordering checks for KVM x86`);
  return `${out.join('\n')}\n`;
}
