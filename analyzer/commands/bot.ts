// `callorder bot run|status`: glue between the CLI and analyzer/bot/.

import { loadConfig, type BotConfig } from '../bot/config';
import { runBot } from '../bot/run';
import { State } from '../bot/state';
import { status, statusText, statusHtml, writeHtml } from '../bot/status';
import { log } from './common';
import * as fs from 'node:fs';
import { InputError, UsageError } from '../util/errors';
import type { Io } from '../util/io';

export interface BotArgs {
  action: 'run' | 'status';
  config?: string;
  inbox?: string;
  tree?: string;
  state?: string;
  branch?: string;
  workers?: number;
  once?: boolean;
  html?: string;
  fromStart?: boolean;
}

export async function botCmd(a: BotArgs, io: Io): Promise<number> {
  const over: Partial<BotConfig> = {};
  if (a.inbox) over.inbox = a.inbox;
  if (a.tree) over.tree = a.tree;
  if (a.state) over.state = a.state;
  if (a.branch) over.branch = a.branch;
  if (a.fromStart) over.startFrom = 'beginning';
  if (a.workers !== undefined) {
    if (!Number.isInteger(a.workers) || a.workers < 1) throw new UsageError('--workers must be a whole number, 1 or more');
    over.workers = a.workers;
  }
  if (a.action === 'status') {
    // status needs the state alone: the archive and the tree may be on another machine
    const file = a.state ?? (a.config ? loadConfig(a.config, { inbox: '-', tree: '-', ...over }).state : undefined);
    if (!file) throw new UsageError('name the state: --state FILE or --config FILE');
    if (!fs.existsSync(file)) throw new InputError(`${file}: no bot state there`);
    const state = new State(file);
    try {
      const st = status(state, Math.floor(Date.now() / 1000));
      if (a.html) writeHtml(a.html, statusHtml(st));
      else io.stdout.write(statusText(st));
    } finally {
      state.close();
    }
    return 0;
  }
  if (a.html) throw new UsageError('--html goes with `bot status`');
  const cfg = loadConfig(a.config, over);
  return runBot(cfg, { once: a.once ?? false, log: (l) => log(io, l) });
}
