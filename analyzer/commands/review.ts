import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMbox, header, type Mail } from '../review/mbox';
import { reviewSeries, seriesOf } from '../review/series';
import { render, renderError, type Format } from '../report/render';
import { replyMail, type ReplyTarget } from '../report/reply';
import { b4Checks, b4Error } from '../report/b4';
import { patchLabel, type PatchReport, type ReportInput } from '../report/model';
import { sortFindings } from '../flow/finding';
import { selector, snapshotDir } from '../source/snapshot';
import { looksLikeKernelTree } from '../source/discover';
import { CommonArgs, resolvePack, limitsOf, jobsOf, log, reporterOf, sourceText, fallbackDate, type ReportArgs } from './common';
import { noPackFiles, removedEntryNotes } from '../pack/entries';
import { checkoutHead } from '../vcs/git';
import { HeaderError, InputError, UsageError } from '../util/errors';
import type { Io } from '../util/io';
import { AnalysisHost } from '../driver/analyze';

export const DEFAULT_MAX_PATCH = 32 * 1024 * 1024;

export interface ReviewArgs extends CommonArgs, ReportArgs {
  patch?: string;
  format?: Format | 'b4';
  mailback?: boolean;
  maxPatchSize?: number;
}

export async function review(a: ReviewArgs, io: Io, host = new AnalysisHost()): Promise<number> {
  if (a.mailback && a.format && a.format !== 'email') throw new UsageError('--mailback writes an email: it goes with --format email only');
  const b4 = a.format === 'b4';
  const format: Format = a.format === undefined || a.format === 'b4' ? 'email' : a.format;
  const cap = a.maxPatchSize ?? DEFAULT_MAX_PATCH;
  if (!(cap > 0)) throw new UsageError('--max-patch-size must be a positive number of bytes');
  const root = reviewTree(a.tree, io.cwd);
  const pack = resolvePack(a, io);
  const reporter = reporterOf(a, io.env);
  const limits = limitsOf(a);
  const name = !a.patch || a.patch === '-' ? '<stdin>' : a.patch;
  let out: string;
  let found = 0;
  try {
    const mails = parseMbox(await readInput(a.patch && a.patch !== '-' ? path.resolve(io.cwd, a.patch) : a.patch, name, cap), name);
    const { patches } = seriesOf(mails, name);
    const sel = { include: a.include, exclude: a.exclude, limits };
    const select = selector(pack, sel);
    const base = snapshotDir(root, pack, sel);
    const none = noPackFiles(pack, base.files.keys(), root);
    if (none) throw new InputError(none);
    const res = await reviewSeries(patches, fs.realpathSync(root), base, pack, select,
      { limits, cache: a.cache, jobs: jobsOf(a), maxFileSize: limits.maxFileSize }, name, host);
    const series: PatchReport[] = res.steps.map((s, k) => ({
      index: s.patch.index,
      total: s.patch.total,
      subject: s.patch.mail.subject,
      messageId: s.patch.mail.messageId,
      findings: s.added,
      // a patch that removes an entry function leaves a rule idle: "no new warnings" must not hide that
      notes: removedEntryNotes(pack, (k ? res.steps[k - 1].analysis : res.base).missing ?? [], s.analysis.missing ?? []),
      source: (file: string) => sourceText(s.tree, file),
    }));
    for (const p of series) for (const n of p.notes ?? []) log(io, `callorder: ${patchLabel(p)} ${n}`);
    const final = res.steps[res.steps.length - 1];
    const before = new Set(res.base.findings.map((f) => f.id));
    const added = series.flatMap((p) => p.findings);
    found = added.length;
    // the tree the series applies to: what it says (b4's base-commit: trailer), else the commit the tree is at
    const baseCommit = mails.map((m) => /^base-commit: ([0-9a-f]{7,40})$/m.exec(m.body)?.[1]).find(Boolean) ?? checkoutHead(root, io.env)?.commit;
    // dated by the series itself (its last patch's Date), so that the same review is the same bytes
    const dates = patches.map((p) => mailDate(p.mail)).filter((d): d is Date => !!d);
    const input: ReportInput = {
      tree: path.basename(root),
      ...(baseCommit ? { base: baseCommit } : {}),
      date: dates.length ? dates[dates.length - 1] : fallbackDate(io.env),
      against: `the tree before ${patches.length === 1 ? 'the patch' : 'the series'}`,
      findings: added,
      old: sortFindings(final.analysis.findings.filter((f) => before.has(f.id))),
      stats: final.analysis.stats,
      rules: pack.rules,
      source: (file) => sourceText(final.tree, file),
      series,
      reporter,
    };
    if (a.mailback) {
      // as checkpatch's --mailback, which b4's per-patch check runs: silence when there is nothing to say
      out = series.filter((p) => p.findings.length)
        .map((p) => {
          const mail = patches.find((x) => x.index === p.index)!.mail;
          try {
            return replyMail(input, targetOf(mail, io.env), p);
          } catch (e) {
            // a header of the patch that would carry another header into the reply (a bare CR, a LF)
            if (e instanceof HeaderError) throw new InputError(`${name}:${mail.line}: ${e.message}`);
            throw e;
          }
        }).join('\n');
    } else out = b4 ? b4Checks(series) : render(format, input);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // a reply is a mail or nothing: the one line on stderr says why there is none
    if (b4) io.stdout.write(b4Error(e.message));
    else if (!a.mailback) io.stdout.write(renderError(format, e.message));
    throw e;
  }
  io.stdout.write(out);
  return found ? 1 : 0;
}

function reviewTree(tree: string | undefined, cwd: string): string {
  if (tree) return path.resolve(cwd, tree);
  if (looksLikeKernelTree(cwd)) return cwd;
  throw new UsageError('name the kernel tree the patches apply to: --tree TREE (or run in it)');
}

/** When a mail says it was sent, if it says so in a form Date can read. */
function mailDate(m: Mail): Date | undefined {
  const raw = header(m, 'date');
  const t = raw === undefined ? NaN : Date.parse(raw);
  return Number.isFinite(t) ? new Date(t) : undefined;
}

function targetOf(m: Mail, env: NodeJS.ProcessEnv): ReplyTarget {
  return {
    subject: m.subject,
    date: mailDate(m) ?? fallbackDate(env),
    messageId: m.messageId,
    references: header(m, 'references') ?? header(m, 'in-reply-to') ?? '',
    from: header(m, 'from') ?? '',
    to: header(m, 'to') ?? '',
    cc: header(m, 'cc') ?? '',
  };
}

/**
 * The patch bytes, refusing more than `cap` without reading past it. Standard
 * input is read with the event loop turning, so that a signal while callorder
 * waits for a patch ends the run (cli.ts); a blocking read would hold it off.
 */
async function readInput(file: string | undefined, name: string, cap: number): Promise<Buffer> {
  if (file && file !== '-') {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      throw new InputError(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!st.isFile()) throw new InputError(`${name}: not a regular file`);
    if (st.size > cap) throw new InputError(`${name}: ${st.size} bytes is over the patch size limit of ${cap} (--max-patch-size)`);
    return fs.readFileSync(file);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > cap) {
        process.stdin.destroy();
        throw new InputError(`${name}: more than ${cap} bytes, over the patch size limit (--max-patch-size)`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return Buffer.concat(chunks);
}
