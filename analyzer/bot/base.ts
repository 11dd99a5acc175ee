// The tree a series is reviewed on: the commit its base-commit: trailer
// names when the tree has it, else the head of the configured branch, and
// why. The review needs a directory, so the pack's part of that commit is
// unpacked with `git archive` into the bot's own work directory (written
// under a temporary name, then renamed: a kill leaves no half tree that a
// restart would take for whole), and kept for the next series on that base.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { InputError } from '../util/errors';

export interface Base {
  commit: string;
  /** how it was chosen, for the report and status */
  why: string;
}

function revParse(repo: string, rev: string): string | null {
  if (rev.startsWith('-')) return null;
  const r = spawnSync('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function pickBase(repo: string, branch: string, trailer: string | null): Base {
  if (trailer) {
    const c = revParse(repo, trailer);
    if (c) return { commit: c, why: `base-commit ${trailer}` };
  }
  const head = revParse(repo, branch);
  if (!head) throw new InputError(`${repo}: the branch ${branch} is not a commit there`);
  return { commit: head, why: trailer ? `base-commit ${trailer} is not in the tree: ${branch} at ${head.slice(0, 12)}` : `${branch} at ${head.slice(0, 12)}` };
}

/** The directory holding `roots` of `commit`, unpacked once; the oldest unpacked trees beyond `keep` are removed. */
export function baseTree(repo: string, commit: string, roots: string[], workDir: string, keep = 4): string {
  const dir = path.join(workDir, 'trees', `${path.basename(path.resolve(repo))}@${commit.slice(0, 12)}`);
  if (fs.existsSync(dir)) {
    const now = new Date();
    fs.utimesSync(dir, now, now);
    return dir;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const paths = roots.filter((r) => r && r !== '.');
  const present = paths.filter((r) => spawnSync('git', ['-C', repo, 'cat-file', '-e', `${commit}:${r}`]).status === 0);
  // a tree without any of the pack's directories is still a tree: the review then says the patches do not apply
  if (!paths.length || present.length) {
    const archive = spawnSync('git', ['-C', repo, 'archive', '--format=tar', commit, '--', ...(paths.length ? present : [])], { maxBuffer: 2 ** 31 });
    if (archive.status !== 0) throw new InputError(`${repo}: git archive ${commit.slice(0, 12)}: ${archive.stderr.toString().trim().split('\n')[0]}`);
    const tar = spawnSync('tar', ['-x', '-C', tmp], { input: archive.stdout });
    if (tar.status !== 0) throw new InputError(`${tmp}: tar: ${tar.stderr.toString().trim().split('\n')[0]}`);
  }
  fs.renameSync(tmp, dir);
  prune(path.dirname(dir), keep, dir);
  return dir;
}

function prune(treesDir: string, keep: number, current: string): void {
  const all = fs.readdirSync(treesDir).filter((n) => !n.includes('.tmp-')).map((n) => path.join(treesDir, n));
  if (all.length <= keep) return;
  all.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  for (const d of all.slice(0, all.length - keep)) if (d !== current) fs.rmSync(d, { recursive: true, force: true });
}
