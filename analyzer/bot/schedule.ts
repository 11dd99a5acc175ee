// What becomes of a series: waiting until complete (or until its wait is
// over), skipped (a later version exists, or none of its files is the
// pack's), queued, then reviewed or failed with the reports it owes, all of
// the verdict written in one transaction.

import type { BotConfig } from './config';
import type { State, SeriesRow } from './state';
import { complete } from './group';
import { readMessage } from './message';
import { pickBase, baseTree } from './base';
import { reviewJob, type JobResult } from './job';
import { outgoing, messageIdOf } from './outbox';
import type { Check } from './patchwork';

const DIFF_PATHS = /^(?:diff --git a\/(\S+) b\/(\S+)|\+\+\+ b\/(\S+)|--- a\/(\S+))/gm;

/** The paths a series' diffs name, from their headers alone: the review parses them for real. */
export function pathsOf(raws: Buffer[]): string[] {
  const out = new Set<string>();
  for (const raw of raws) {
    const text = raw.toString('latin1');
    for (let m = DIFF_PATHS.exec(text); m; m = DIFF_PATHS.exec(text)) {
      for (const p of [m[1], m[2], m[3], m[4]]) if (p) out.add(p);
    }
  }
  return [...out].sort();
}

/** Waiting series that are complete or waited long enough become queued or skipped. */
export function decide(state: State, cfg: BotConfig, select: (rel: string) => boolean, now: number, log: (l: string) => void): void {
  for (const s of state.withStatus('waiting')) {
    const newer = state.newerVersion(s);
    if (newer) {
      state.setStatus(s.id, 'skipped', `superseded by v${newer.version}`, now);
      log(`callorder bot: ${label(s)}: skipped, superseded by v${newer.version}`);
      continue;
    }
    if (!complete(state, s.id) && now - s.last_seen < cfg.waitSeconds) continue;
    const patches = state.patches(s.id);
    if (!patches.length) {
      state.setStatus(s.id, 'skipped', 'no patch with a diff', now);
      continue;
    }
    const paths = pathsOf(patches.map((p) => p.raw));
    if (!paths.some(select)) {
      const shown = paths.slice(0, 3).join(', ') + (paths.length > 3 ? `, and ${paths.length - 3} more` : '');
      state.setStatus(s.id, 'skipped', `touches none of the pack's files (${shown || 'no paths'})`, now);
      log(`callorder bot: ${label(s)}: skipped, touches none of the pack's files`);
      continue;
    }
    state.setStatus(s.id, 'queued', null, null);
  }
}

export function label(s: Pick<SeriesRow, 'title' | 'version' | 'total'>): string {
  return `[PATCH${s.version > 1 ? ` v${s.version}` : ''} 0/${s.total}] ${s.title}`;
}

function mboxOf(raws: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const raw of raws) {
    // mboxrd: a body line that reads as a separator gets one more '>', which the reader takes off
    const text = raw.toString('latin1').replace(/^(>*From )/gm, '>$1');
    parts.push(Buffer.from(`From mboxrd@z Thu Jan  1 00:00:00 1970\n${text}${text.endsWith('\n') ? '' : '\n'}\n`, 'latin1'));
  }
  return Buffer.concat(parts);
}

/** Reviews one queued series and records the verdict with its reports. */
export async function reviewSeries(state: State, cfg: BotConfig, s: SeriesRow, roots: string[], now: () => number,
  log: (l: string) => void): Promise<void> {
  const patches = state.patches(s.id);
  const covers = state.covers(s.id);
  let trailer: string | null = null;
  for (const raw of [...covers, ...patches.map((p) => p.raw)]) {
    const m = readMessage(raw, s.id);
    if (!('error' in m) && m.baseCommit) {
      trailer = m.baseCommit;
      break;
    }
  }
  let result: JobResult;
  let baseWhy: string | null = null;
  try {
    const base = pickBase(cfg.tree, cfg.branch, trailer);
    baseWhy = base.why;
    const dir = baseTree(cfg.tree, base.commit, roots, cfg.workDir, Math.max(4, 2 * cfg.workers));
    result = await reviewJob({
      mbox: mboxOf([...covers, ...patches.map((p) => p.raw)]),
      tree: dir,
      rules: cfg.rules,
      reporter: cfg.reporter,
      closesUrlBase: cfg.closesUrlBase,
      limits: { deadline: cfg.reviewDeadline, maxPatchSize: cfg.maxPatchSize, parseTimeout: cfg.parseTimeout, heapMb: cfg.heapMb },
    });
  } catch (e) {
    result = { ok: false, reason: (e as Error).message.split('\n')[0] };
  }
  const at = now();
  const target = cfg.targetUrl ? { target_url: cfg.targetUrl } : {};
  state.tx(() => {
    if (state.series(s.id)?.status !== 'queued') return; // another round already recorded it
    if (!result.ok) {
      state.setStatus(s.id, 'failed', result.reason, at, { base: baseWhy });
      if (cfg.patchwork) {
        for (const p of patches) {
          const c: Check = { state: 'fail', description: `callorder could not review the series: ${result.reason}`.slice(0, 255), ...target };
          state.addReport(s.id, 'check', p.msgid, JSON.stringify(c), at);
        }
      }
      return;
    }
    const found = result.patches.reduce((n, p) => n + p.findings.length, 0);
    state.setStatus(s.id, 'reviewed', null, at, { base: baseWhy, findings: found });
    if (cfg.outbox) {
      for (const reply of result.replies) {
        const mail = outgoing(reply, new Date(at * 1000));
        const to = /^In-Reply-To: (\S+)$/im.exec(mail)?.[1] ?? messageIdOf(mail);
        state.addReport(s.id, 'mail', to, mail, at);
      }
    }
    if (cfg.patchwork) {
      for (const p of patches) {
        const v = result.patches.find((x) => x.messageId === p.msgid);
        const n = v?.findings.length ?? 0;
        const c: Check = n
          ? { state: 'warning', description: `${n} new call-ordering warning${n > 1 ? 's' : ''}: ${v!.findings[0].function}(): ${v!.findings[0].message} [${v!.findings[0].rule}]`.slice(0, 255), ...target }
          : { state: 'success', description: 'no new call-ordering warnings', ...target };
        state.addReport(s.id, 'check', p.msgid, JSON.stringify(c), at);
      }
    }
  });
  log(`callorder bot: ${label(s)}: ${result.ok ? `reviewed on ${baseWhy}, ${plural(result.patches.reduce((n, p) => n + p.findings.length, 0), "new warning")}` : `failed: ${result.reason}`}`);
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
