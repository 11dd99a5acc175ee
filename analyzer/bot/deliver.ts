// Sending what the state owes: each report is marked 'sending' (committed)
// before it goes out and 'sent' after, so a report found 'sending' at start
// went out or not at the moment of a kill. The maildir and patchwork are
// asked (a file by Message-ID, a check among the patch's checks); sendmail
// cannot be, and sends again. A failure stays pending, with its reason, for
// next round after retrySeconds; after a day it is dropped (status shows
// it), since by then a patchwork without the patch will not get it.

export const GIVE_UP_AFTER = 24 * 3600;

import type { BotConfig } from './config';
import type { State, ReportRow } from './state';
import { toMaildir, toSendmail } from './outbox';
import { patchId, hasCheck, postCheck, type Check } from './patchwork';

export async function deliver(state: State, cfg: BotConfig, log: (line: string) => void, now: () => number): Promise<number> {
  let sent = 0;
  const dropped = state.dropStale(now(), GIVE_UP_AFTER);
  if (dropped) log(`callorder bot: ${dropped} report${dropped === 1 ? '' : 's'} not sent for a day: given up (bot status)`);
  for (const r of state.reportsToSend(now(), cfg.retrySeconds)) {
    // tried before: it may have gone out then, whatever the bot heard back
    const retry = r.attempts > 0;
    state.reportState(r.id, 'sending', r.error, now());
    let error: string | null;
    try {
      error = await send(r, retry, cfg);
    } catch (e) {
      error = (e as Error).message.split('\n')[0];
    }
    if (error) {
      // pending again: sent on a later round, after what stopped it (patchwork without the patch yet, a mailer down) is gone
      state.reportState(r.id, 'pending', error, now());
      if (error !== r.error) log(`callorder bot: ${r.kind} for ${r.target}: ${error}`);
    } else {
      state.reportState(r.id, 'sent', null, now());
      sent++;
    }
  }
  return sent;
}

async function send(r: ReportRow, retry: boolean, cfg: BotConfig): Promise<string | null> {
  if (r.kind === 'mail') {
    if (cfg.outbox?.maildir) {
      toMaildir(cfg.outbox.maildir, r.payload);
      return null;
    }
    if (cfg.outbox?.sendmail) return toSendmail(cfg.outbox.sendmail, r.payload);
    return 'no outbox configured';
  }
  const pw = cfg.patchwork;
  if (!pw) return 'no patchwork configured';
  const check = JSON.parse(r.payload) as Check;
  const id = await patchId(pw, r.target);
  if (id === null) return `patchwork has no patch ${r.target} yet`;
  if (retry && (await hasCheck(pw, id, check))) return null;
  await postCheck(pw, id, check);
  return null;
}
