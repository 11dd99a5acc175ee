// Messages into series, as b4 groups them: a patch joins the series of the
// patch or cover letter it replies to when that one has the same version;
// otherwise it starts a series of its own, named by its Message-ID (or by its
// parent's, when patch k of n arrives before the message it replies to). A
// series is complete when every patch 1..n carrying a diff is there. Later
// versions are told apart from other series by b4's change-id when the cover
// has one, else by the author and the subject without its tags.

import { readMessage, addressOf } from './message';
import type { State } from './state';
import type { ArchivedMessage } from './inbox';

export interface Ingested {
  messageId: string | null;
  series: string | null;
  error: string | null;
}

export function ingest(state: State, a: ArchivedMessage, now: number): Ingested {
  const m = readMessage(a.raw, `epoch ${a.epoch} commit ${a.commit.slice(0, 12)}`);
  if ('error' in m) {
    // kept, so that status can show it and a restart does not read it as new
    state.addMessage({ msgid: `<commit-${a.commit}@invalid>`, epoch: a.epoch, seenAt: now, subject: '', author: '', inReplyTo: null,
      series: null, idx: null, version: null, hasDiff: false, raw: null, error: m.error });
    return { messageId: null, series: null, error: m.error };
  }
  if (state.hasMessage(m.messageId)) return { messageId: m.messageId, series: null, error: null };
  const tag = m.tag;
  let series: string | null = null;
  if (tag) {
    const parent = m.inReplyTo ? state.messageSeries(m.inReplyTo) : undefined;
    let root = m.messageId;
    if (parent?.series && parent.version === tag.version) root = state.series(parent.series)!.root;
    else if (!parent && m.inReplyTo && tag.index >= 1 && tag.total > 1) root = m.inReplyTo;
    series = `${root} v${tag.version}`;
    const identity = m.changeId ?? `${addressOf(m.from)} ${tag.title}`;
    state.touchSeries({ id: series, root, version: tag.version, identity, title: tag.title, author: m.from, total: tag.total, first_seen: now });
    // the cover letter names the series; patch 1 does until a cover comes
    if (tag.index === 0 || (tag.index === 1 && !state.hasCover(series))) state.nameSeries(series, tag.title, identity);
  }
  // only the mails of a series are kept whole: replies need their headers alone
  state.addMessage({ msgid: m.messageId, epoch: a.epoch, seenAt: now, subject: m.subject, author: m.from, inReplyTo: m.inReplyTo,
    series, idx: tag?.index ?? null, version: tag?.version ?? null, hasDiff: m.hasDiff, raw: series ? a.raw : null, error: null });
  return { messageId: m.messageId, series, error: null };
}

/** Every patch 1..total is there with a diff. */
export function complete(state: State, id: string): boolean {
  const s = state.series(id);
  if (!s) return false;
  const have = new Set(state.patches(id).map((p) => p.idx));
  for (let k = 1; k <= s.total; k++) if (!have.has(k)) return false;
  return true;
}
