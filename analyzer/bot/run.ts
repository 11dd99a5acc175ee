// The bot's loop: read what the archive gained (a chunk at a time, each chunk
// committed with the cursor past it), decide which series are ready, review
// the queued ones in a bounded pool of child processes, send what is owed,
// sleep. A restart after a kill picks up from the state alone: series left
// queued are reviewed, reports left unsent are sent.

import type { BotConfig } from './config';
import { State, type SeriesRow } from './state';
import { epochs, newCommits, readChunk } from './inbox';
import { ingest } from './group';
import { decide, reviewSeries } from './schedule';
import { deliver } from './deliver';
import { loadPack, defaultPackPath } from '../pack/load';
import { selector } from '../source/snapshot';
import { globRoots } from '../source/discover';

const CHUNK = 256;
/** the mails of a series with a verdict are kept this long (a month), then their headers alone */
const KEEP_MAILS = 30 * 86400;

export interface RunOptions {
  /** process what the archive holds now, then exit */
  once: boolean;
  log: (line: string) => void;
  now?: () => number;
  /** resolves when the bot should stop (a signal) */
  stop?: Promise<void>;
}

/** Reads every epoch from its cursor; returns how many messages were new. */
export function poll(state: State, cfg: BotConfig, now: number): number {
  let n = 0;
  const all = epochs(cfg.inbox);
  if (state.get('started') === null) {
    state.tx(() => {
      if (cfg.startFrom === 'end') for (const e of all) {
        const tip = newCommits(e, null);
        if (tip.length) state.set(`epoch:${e.n}`, tip[tip.length - 1]);
      }
      state.set('started', JSON.stringify({ at: now, from: cfg.startFrom }));
    });
  }
  for (const e of all) {
    const key = `epoch:${e.n}`;
    const commits = newCommits(e, state.get(key));
    for (let i = 0; i < commits.length; i += CHUNK) {
      const chunk = commits.slice(i, i + CHUNK);
      const msgs = readChunk(e, chunk);
      state.tx(() => {
        for (const m of msgs) {
          const r = ingest(state, m, now);
          if (r.messageId) state.set('last_message', JSON.stringify({ messageId: r.messageId, epoch: e.n, commit: m.commit, at: now }));
          n++;
        }
        state.set(key, chunk[chunk.length - 1]);
      });
    }
  }
  return n;
}

export async function runBot(cfg: BotConfig, opts: RunOptions): Promise<number> {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const pack = loadPack(cfg.rules ?? defaultPackPath());
  const select = selector(pack);
  const roots = globRoots(pack.include);
  // an archive that is none stops the bot before it makes a state for it
  epochs(cfg.inbox);
  const state = new State(cfg.state);
  const running = new Map<string, Promise<void>>();
  let stopping = false;
  void opts.stop?.then(() => {
    stopping = true;
  });
  try {
    for (;;) {
      if (!stopping) {
        poll(state, cfg, now());
        decide(state, cfg, select, now(), opts.log);
        state.forgetMails(now() - KEEP_MAILS);
        for (const s of state.withStatus('queued')) {
          if (running.size >= cfg.workers) break;
          if (running.has(s.id)) continue;
          const job = start(state, cfg, s, roots, now, opts.log).finally(() => running.delete(s.id));
          running.set(s.id, job);
        }
      }
      // idle as of before the delivery: a review that ends while reports go out owes reports of its own,
      // which only another round sends
      const idle = !running.size && (stopping || !state.withStatus('queued').length);
      await deliver(state, cfg, opts.log, now);
      if ((opts.once || stopping) && idle) break;
      // wake at the first finished review, or at the next poll
      const wake: Promise<unknown>[] = [...running.values()];
      if (!opts.once) wake.push(sleep(cfg.pollSeconds * 1000));
      if (opts.stop) wake.push(opts.stop);
      if (wake.length) await Promise.race(wake);
    }
  } finally {
    state.close();
  }
  return 0;
}

function start(state: State, cfg: BotConfig, s: SeriesRow, roots: string[], now: () => number, log: (l: string) => void): Promise<void> {
  return reviewSeries(state, cfg, s, roots, now, log).catch((e: unknown) => {
    // a fault of the bot's own, not of the series: recorded on it, the loop goes on
    const reason = `internal error: ${(e as Error).message.split('\n')[0]}`;
    state.setStatus(s.id, 'failed', reason, now());
    log(`callorder bot: ${s.id}: ${reason}`);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
