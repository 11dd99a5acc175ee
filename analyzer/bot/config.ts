// The bot's configuration: a JSON file, every key checked, relative paths
// taken from the file's directory; the command line's --inbox, --tree,
// --state and --workers override it. A bad key is one line naming the file
// and the key.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';

export interface BotConfig {
  inbox: string;
  tree: string;
  /** the base when a series names none the tree has */
  branch: string;
  state: string;
  /** unpacked base trees and the series' mboxes */
  workDir: string;
  workers: number;
  pollSeconds: number;
  /** an incomplete series is reviewed as it is this long after its last message */
  waitSeconds: number;
  reviewDeadline: number;
  maxPatchSize: number;
  parseTimeout: number;
  heapMb: number;
  /** a report that could not go out is tried again after this long */
  retrySeconds: number;
  rules?: string;
  reporter?: string;
  closesUrlBase?: string;
  outbox?: { maildir?: string; sendmail?: string[] };
  patchwork?: { url: string; token: string; project?: string };
  /** where the status page is served, for patchwork's target_url */
  targetUrl?: string;
  /**
   * where a new state starts reading: 'end' (default) takes what the archive
   * holds as seen, so that a mirror of years of a list is not reviewed and
   * answered; 'beginning' reads it all. Epochs that appear later are read whole.
   */
  startFrom: 'beginning' | 'end';
}

export const DEFAULTS = {
  branch: 'HEAD', workers: 2, pollSeconds: 5, waitSeconds: 600, reviewDeadline: 300,
  maxPatchSize: 32 * 1024 * 1024, parseTimeout: 20, heapMb: 2048, retrySeconds: 60,
};

type Raw = Record<string, unknown>;

export function loadConfig(file: string | undefined, over: Partial<BotConfig>): BotConfig {
  let raw: Raw = {};
  const dir = file ? path.dirname(path.resolve(file)) : process.cwd();
  const where = file ?? 'the command line';
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      raw = JSON.parse(text) as Raw;
    } catch (e) {
      throw new InputError(`${file}: not JSON: ${(e as Error).message}`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${file}: not a JSON object`);
  }
  const known = new Set(['inbox', 'tree', 'branch', 'state', 'workDir', 'workers', 'pollSeconds', 'waitSeconds', 'reviewDeadline',
    'maxPatchSize', 'parseTimeout', 'heapMb', 'retrySeconds', 'rules', 'reporter', 'closesUrlBase', 'outbox', 'patchwork', 'targetUrl', 'startFrom']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new InputError(`${where}: ${k}: not a key of the bot's configuration`);
  const str = (k: string): string | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v) throw new InputError(`${where}: ${k}: must be a non-empty string`);
    return v;
  };
  const num = (k: keyof typeof DEFAULTS, min: number): number => {
    const v = (over as Raw)[k] ?? raw[k] ?? DEFAULTS[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new InputError(`${where}: ${k}: must be a number, ${min} or more`);
    return v;
  };
  const at = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  const inbox = over.inbox ?? at(str('inbox'));
  const tree = over.tree ?? at(str('tree'));
  if (!inbox) throw new InputError(`${where}: name the archive: --inbox PATH or "inbox" in --config`);
  if (!tree) throw new InputError(`${where}: name the reviewed tree: --tree REPO or "tree" in --config`);
  const state = over.state ?? at(str('state')) ?? path.resolve('callorder-bot.sqlite');
  const cfg: BotConfig = {
    inbox, tree, state,
    branch: over.branch ?? str('branch') ?? DEFAULTS.branch,
    workDir: at(str('workDir')) ?? `${state}.work`,
    workers: num('workers', 1),
    pollSeconds: num('pollSeconds', 0),
    waitSeconds: num('waitSeconds', 0),
    reviewDeadline: num('reviewDeadline', 1),
    maxPatchSize: num('maxPatchSize', 1),
    parseTimeout: num('parseTimeout', 0),
    heapMb: num('heapMb', 64),
    retrySeconds: num('retrySeconds', 0),
    rules: at(str('rules')),
    reporter: str('reporter'),
    closesUrlBase: str('closesUrlBase'),
    targetUrl: str('targetUrl'),
    startFrom: over.startFrom ?? (str('startFrom') as BotConfig['startFrom'] | undefined) ?? 'end',
  };
  if (cfg.startFrom !== 'beginning' && cfg.startFrom !== 'end') throw new InputError(`${where}: startFrom: must be "beginning" or "end"`);
  if (!Number.isInteger(cfg.workers)) throw new InputError(`${where}: workers: must be a whole number`);
  const ob = raw.outbox;
  if (ob !== undefined) {
    if (!ob || typeof ob !== 'object') throw new InputError(`${where}: outbox: must be {"maildir": DIR} or {"sendmail": [COMMAND, ARGS...]}`);
    const o = ob as Raw;
    for (const k of Object.keys(o)) if (k !== 'maildir' && k !== 'sendmail') throw new InputError(`${where}: outbox.${k}: not a key (maildir, sendmail)`);
    if (o.maildir !== undefined && (typeof o.maildir !== 'string' || !o.maildir)) throw new InputError(`${where}: outbox.maildir: must be a directory`);
    if (o.sendmail !== undefined && (!Array.isArray(o.sendmail) || !o.sendmail.length || !o.sendmail.every((x) => typeof x === 'string' && x))) {
      throw new InputError(`${where}: outbox.sendmail: must be a command as a list of strings, as ["/usr/sbin/sendmail", "-i", "-t"]`);
    }
    if ((o.maildir === undefined) === (o.sendmail === undefined)) throw new InputError(`${where}: outbox: name one of maildir or sendmail`);
    cfg.outbox = o.maildir !== undefined ? { maildir: at(o.maildir as string) } : { sendmail: o.sendmail as string[] };
  }
  const pw = raw.patchwork;
  if (pw !== undefined) {
    const p = pw as Raw;
    if (!p || typeof p !== 'object' || typeof p.url !== 'string' || !/^https?:\/\/\S+$/.test(p.url) || typeof p.token !== 'string' || !p.token) {
      throw new InputError(`${where}: patchwork: must be {"url": "https://...", "token": "...", "project": "..."}`);
    }
    if (p.project !== undefined && typeof p.project !== 'string') throw new InputError(`${where}: patchwork.project: must be a string`);
    cfg.patchwork = { url: p.url.replace(/\/+$/, ''), token: p.token, ...(p.project ? { project: p.project as string } : {}) };
  }
  return cfg;
}
