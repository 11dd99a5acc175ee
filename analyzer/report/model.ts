// What every output format is given: the findings to show and, when the run
// compared two trees, the ones that were there before.

import type { Finding } from '../flow/finding';
import type { RuleSpec } from '../pack/rule-spec';

/** What a run counted, for a report's summary line and its JSON. */
export interface AnalysisStats {
  files: number;
  bytes: number;
  functions: number;
  entries: number;
  rules: number;
  notes: string[];
}

/** Who signs the email report, and where its Closes: link points. */
export interface Reporter {
  /** `Name <address>` */
  identity: string;
  /**
   * the report's Message-ID is appended to this (lore style: https://lore.kernel.org/r/) for a Closes: link; none
   * when not configured, since a report no archive has is a dead link
   */
  closesUrlBase?: string;
}

export const DEFAULT_REPORTER: Reporter = {
  identity: 'callorder <callorder@localhost>',
};

/** One patch of a reviewed series and the findings it adds. */
export interface PatchReport {
  /** 1-based position in the series */
  index: number;
  total: number;
  subject: string;
  messageId: string;
  findings: Finding[];
  /** what the patch did to the rules themselves: an entry function it removes (pack/entries.ts removedEntryNotes) */
  notes?: string[];
  /** the tree right after this patch, where its findings' lines are */
  source?(file: string): string | undefined;
}

export interface ReportInput {
  /** the tree's name (a directory or revision), never a temporary path */
  tree: string;
  /** the commit the tree is at, when known */
  head?: string;
  /** the commit the series says it applies to (b4's base-commit:), or the reviewed tree's HEAD */
  base?: string;
  /** when the report's input was made: the patch's Date, the tree's commit date, SOURCE_DATE_EPOCH or now */
  date?: Date;
  /** what was compared: "the staged change against HEAD", "baseline base.json" */
  against?: string;
  /** the findings to show: when compared, only the new ones */
  findings: Finding[];
  /** when compared: findings the tree had before as well */
  old?: Finding[];
  stats: AnalysisStats;
  rules: RuleSpec[];
  /** the text of a file of the analysed tree, for excerpts */
  source(file: string): string | undefined;
  series?: PatchReport[];
  reporter: Reporter;
}

export function patchLabel(p: { index: number; total: number; subject: string }): string {
  // a subject is a stranger's: a control character in it is shown, not sent (a bare CR in a mail body is no text)
  // eslint-disable-next-line no-control-regex
  const shown = stripPatchTag(p.subject).replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `[PATCH ${p.index}/${p.total}] ${shown}`;
}

/** "[PATCH v2 2/3] KVM: x86: foo" → "KVM: x86: foo" */
export function stripPatchTag(subject: string): string {
  return subject.replace(/^(\s*\[[^\]]*\]\s*)+/, '').trim();
}
