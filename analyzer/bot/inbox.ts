// A public-inbox v2 archive read with git alone: INBOX/git/N.git are the
// epochs, each a linear history on refs/heads/master where every commit adds
// one message as the blob `m` (a deletion commit has `d` instead). Reading
// from the last commit seen is `rev-list LAST..master`, then one `cat-file
// --batch` per chunk for the blobs, so a poll costs what arrived since the
// last one, and a chunk is the unit the state records as read.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { InputError } from '../util/errors';

export interface Epoch {
  n: number;
  gitDir: string;
}

export interface ArchivedMessage {
  epoch: number;
  commit: string;
  raw: Buffer;
}

const MAX_OUTPUT = 1 << 30;
/** a message bigger than this is kept as its header lines only (see readChunk) */
export const MAX_MESSAGE = 16 * 1024 * 1024;

function git(gitDir: string, args: string[], input?: string): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('git', ['--git-dir', gitDir, ...args], { input, maxBuffer: MAX_OUTPUT, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
  if (r.error) throw new InputError(`git: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8').trim().split('\n')[0] };
}

export function epochs(inbox: string): Epoch[] {
  const dir = path.join(inbox, 'git');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    throw new InputError(`${inbox}: not a public-inbox v2 archive (no git/ directory of epochs)`);
  }
  const out: Epoch[] = [];
  for (const name of names) {
    const m = /^(\d+)\.git$/.exec(name);
    if (m) out.push({ n: Number(m[1]), gitDir: path.join(dir, name) });
  }
  if (!out.length) throw new InputError(`${inbox}: not a public-inbox v2 archive (no git/N.git epoch)`);
  return out.sort((a, b) => a.n - b.n);
}

/** The commits of an epoch after `since`, oldest first; all of them when `since` is no longer in its history. */
export function newCommits(e: Epoch, since: string | null): string[] {
  const head = git(e.gitDir, ['rev-parse', '--verify', '--quiet', 'refs/heads/master']);
  if (head.status !== 0) return []; // an epoch made but not written yet
  const tip = head.stdout.toString('latin1').trim();
  if (since === tip) return [];
  let range = tip;
  // a purge rewrites history: then the whole epoch is read again, and the messages already seen are known by Message-ID
  if (since && git(e.gitDir, ['merge-base', '--is-ancestor', since, tip]).status === 0) range = `${since}..${tip}`;
  const r = git(e.gitDir, ['rev-list', '--reverse', range]);
  if (r.status !== 0) throw new InputError(`${e.gitDir}: git rev-list: ${r.stderr}`);
  return r.stdout.toString('latin1').split('\n').filter(Boolean);
}

/** The messages the commits add, in their order; a deletion commit adds none. */
export function readChunk(e: Epoch, commits: string[]): ArchivedMessage[] {
  if (!commits.length) return [];
  const r = git(e.gitDir, ['cat-file', '--batch'], commits.map((c) => `${c}:m\n`).join(''));
  if (r.status !== 0) throw new InputError(`${e.gitDir}: git cat-file: ${r.stderr}`);
  const out: ArchivedMessage[] = [];
  const buf = r.stdout;
  let at = 0;
  for (const commit of commits) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) throw new InputError(`${e.gitDir}: git cat-file: output ends early at ${commit}`);
    const head = buf.toString('latin1', at, nl);
    at = nl + 1;
    if (/ missing$/.test(head)) continue;
    const m = /^[0-9a-f]+ blob (\d+)$/.exec(head);
    if (!m) throw new InputError(`${e.gitDir}: ${commit}: not a message commit (${head})`);
    const size = Number(m[1]);
    let raw = buf.subarray(at, at + size);
    if (size > MAX_MESSAGE) {
      const end = raw.indexOf('\n\n');
      raw = raw.subarray(0, end < 0 ? 0 : end + 2);
    }
    out.push({ epoch: e.n, commit, raw: Buffer.from(raw) });
    at += size + 1;
  }
  return out;
}
