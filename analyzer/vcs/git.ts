// Trees out of git's object database: a revision (`ls-tree` + `cat-file`)
// or the index (`ls-files -s` + `cat-file`). Nothing here checks out, writes
// the index or touches the working tree, so --since and the pre-commit hook
// leave a developer's checkout exactly as it was.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Selector, SourceFile, SourceTree } from '../source/snapshot';
import type { ParseLimits } from '../source/limits';
import { Lru } from '../util/lru';
import { InputError } from '../util/errors';

const MAX_OUTPUT = 1 << 30;

export function git(cwd: string, args: string[], input?: string, env: Env = process.env): Buffer {
  const r = spawnSync('git', args, { cwd, input, maxBuffer: MAX_OUTPUT, env: gitEnv(env) });
  return answer(args, r.error, r.status, r.stdout, r.stderr);
}

/**
 * The environment git runs in: the command's (a hook's GIT_INDEX_FILE names the
 * index being committed; a command the server runs brings its client's).
 */
export type Env = NodeJS.ProcessEnv;

function gitEnv(env: Env): NodeJS.ProcessEnv {
  return { ...env, GIT_OPTIONAL_LOCKS: '0' };
}

function answer(args: string[], error: Error | undefined, status: number | null, stdout: Buffer, stderr: Buffer): Buffer {
  if (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'git is not installed' : `git ${args[0]}: ${error.message}`);
  }
  if (status !== 0) {
    const msg = stderr.toString('utf8').trim().split('\n')[0] || `exit ${status}`;
    throw new InputError(`git ${args[0]}: ${msg.replace(/^(fatal|error): /, '')}`);
  }
  return stdout;
}

/** git() without waiting: the hook's two listings run side by side. */
function gitAsync(cwd: string, args: string[], env: Env): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failed: Error | undefined;
    const c = spawn('git', args, { cwd, env: gitEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) {
        failed = new Error('output too large');
        c.kill();
      } else out.push(b);
    });
    c.stderr.on('data', (b: Buffer) => err.push(b));
    c.on('error', (e) => (failed = e));
    c.on('close', (status) => {
      try {
        resolve(answer(args, failed, status, Buffer.concat(out), Buffer.concat(err)));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** The top of the work tree `dir` is in, or null outside git. */
export function workTreeTop(dir: string, env: Env = process.env): string | null {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The full commit id `rev` names, or an InputError naming it. */
export function resolveCommit(top: string, rev: string, env: Env = process.env): string {
  if (rev.startsWith('-')) throw new InputError(`${rev}: not a git revision`);
  const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: top, encoding: 'utf8', env });
  if (r.status !== 0) throw new InputError(`${rev}: not a commit in ${top}`);
  return r.stdout.trim();
}

export function hasCommit(top: string, env: Env = process.env): boolean {
  return spawnSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: top, env }).status === 0;
}

interface Entry {
  mode: string;
  id: string;
  /** tree-relative */
  rel: string;
  /** repository-relative, as git listed it */
  path: string;
}

/**
 * What git need list: the selector's directories under the tree's prefix, so
 * that a kernel checkout's 80,000 paths are not listed to find arch/x86/kvm.
 */
function pathspecs(prefix: string, select: Selector): string[] {
  const roots = select.roots?.filter((r) => r !== '' && r !== '.');
  const join = (r: string) => (prefix ? `${prefix}/${r}` : r);
  if (!roots?.length || roots.length !== select.roots?.length) return [prefix || '.'];
  return roots.map(join);
}

// no -l: the sizes it lists cost a read of every blob's header, once the largest part of the hook's time
function lsTreeArgs(rev: string, prefix: string, select: Selector): string[] {
  return ['ls-tree', '-r', '-z', '--full-tree', rev, '--', ...pathspecs(prefix, select)];
}

function lsFilesArgs(prefix: string, select: Selector): string[] {
  return ['ls-files', '-s', '-z', '--', ...pathspecs(prefix, select)];
}

function treeEntries(out: Buffer, prefix: string, select: Selector): Entry[] {
  const entries: Entry[] = [];
  for (const rec of out.toString('latin1').split('\0')) {
    const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(rec);
    if (!m) continue;
    const rel = relTo(prefix, m[4]);
    if (rel === null || !select(rel)) continue;
    entries.push({ mode: m[1], id: m[3], rel, path: m[4] });
  }
  return entries;
}

function indexEntries(out: Buffer, prefix: string, select: Selector): Entry[] {
  const entries: Entry[] = [];
  for (const rec of out.toString('latin1').split('\0')) {
    const m = /^(\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(rec);
    if (!m) continue;
    const rel = relTo(prefix, m[4]);
    if (rel === null || !select(rel)) continue;
    if (m[3] !== '0') throw new InputError(`${m[4]}: unmerged in the index; resolve the conflict first`);
    entries.push({ mode: m[1], id: m[2], rel, path: m[4] });
  }
  return entries;
}

/** The analysed files of `rev` under `prefix` (the tree's place in the repository). */
export function revisionTree(top: string, rev: string, prefix: string, select: Selector,
  limits: ParseLimits, label: string, env: Env = process.env): SourceTree {
  return fromEntries(top, treeEntries(git(top, lsTreeArgs(rev, prefix, select), undefined, env), prefix, select), limits, label, env);
}

/**
 * The analysed files as staged (the content a commit made now would have)
 * and as in HEAD, for the pre-commit hook: the two listings run
 * side by side, and whether HEAD exists is asked only when listing it failed
 * (a repository's first commit has none: HEAD's tree is empty then).
 */
export async function stagedAndHead(top: string, select: Selector, limits: ParseLimits, env: Env = process.env): Promise<{ staged: SourceTree; head: SourceTree }> {
  const [index, tree] = await Promise.all([
    gitAsync(top, lsFilesArgs('', select), env),
    gitAsync(top, lsTreeArgs('HEAD', '', select), env).catch((e: unknown) => {
      if (hasCommit(top, env)) throw e;
      return Buffer.alloc(0);
    }),
  ]);
  const staged = indexEntries(index, '', select);
  const head = treeEntries(tree, '', select);
  // one cat-file for both: HEAD's version of a staged file is the one blob the work tree has not
  const blobs = readBlobs(top, [...wantedOf(staged), ...wantedOf(head)], limits, env);
  return { staged: fromEntries(top, staged, limits, 'index', env, blobs), head: fromEntries(top, head, limits, 'HEAD', env, blobs) };
}

function relTo(prefix: string, p: string): string | null {
  const name = Buffer.from(p, 'latin1').toString('utf8');
  if (!prefix) return name;
  return name.startsWith(`${prefix}/`) ? name.slice(prefix.length + 1) : null;
}

/** The entries whose content is read: not symbolic links, not submodules. */
function wantedOf(entries: Entry[]): Entry[] {
  return entries.filter((e) => e.mode !== '120000' && e.mode !== '160000');
}

/** `blobs`: the entries' contents by id, when they were read already (stagedAndHead). */
function fromEntries(top: string, entries: Entry[], limits: ParseLimits, label: string, env: Env, blobs?: Map<string, Buffer>): SourceTree {
  const files = new Map<string, SourceFile>();
  const notes: string[] = [];
  entries.sort((a, b) => (a.rel < b.rel ? -1 : 1));
  for (const e of entries) if (e.mode === '120000') notes.push(`${e.rel}: symbolic link, not followed`);
  const wanted = wantedOf(entries);
  // sizes come with the content: asking for them first is one more git process, and the
  // hook's trees are a developer's own repository, where a blob too large to read is no attack
  blobs ??= readBlobs(top, wanted, limits, env);
  for (const e of wanted) {
    const b = blobs.get(e.id)!;
    if (b.length > limits.maxFileSize) files.set(e.rel, { note: `${e.rel}: ${b.length} bytes is over --max-file-size ${limits.maxFileSize}, skipped` });
    else files.set(e.rel, b);
  }
  return { label, files, notes };
}

// A blob never changes under its id: the hook reads the index and HEAD, which
// share nearly every blob, and asks git for each only once. Bounded, for a
// process that runs many hooks (the resident server).
const blobMemo = new Lru<Buffer>(256 << 20);

function readBlobs(top: string, entries: Entry[], limits: ParseLimits, env: Env): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const ask = new Set<string>();
  for (const e of entries) {
    if (out.has(e.id)) continue;
    const b = blobMemo.get(`${top}\0${e.id}`) ?? fromWorkTree(top, e, limits);
    if (b) {
      out.set(e.id, b);
      blobMemo.set(`${top}\0${e.id}`, b, b.length);
    } else ask.add(e.id);
  }
  if (!ask.size) return out;
  const buf = git(top, ['cat-file', '--batch'], `${[...ask].join('\n')}\n`, env);
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const head = buf.toString('latin1', pos, nl);
    const m = /^([0-9a-f]+) blob (\d+)$/.exec(head);
    if (!m) throw new InputError(`git cat-file: unexpected answer: ${head.slice(0, 80)}`);
    const size = Number(m[2]);
    const blob = buf.subarray(nl + 1, nl + 1 + size);
    out.set(m[1], blob);
    blobMemo.set(`${top}\0${m[1]}`, blob, blob.length);
    pos = nl + 1 + size + 1;
  }
  return out;
}

/**
 * The blob from the work tree, when the file there is that blob (it hashes to
 * the id); otherwise null, and git is asked. A developer's files mostly are
 * what is staged and committed, and reading and hashing them takes a fraction
 * of the time git takes to inflate the same 3 MB of loose objects. A file that
 * a filter or an edit made differ from the blob does not hash to its id, so
 * what is read is always the blob's content.
 */
function fromWorkTree(top: string, e: Entry, limits: ParseLimits): Buffer | null {
  if (e.mode !== '100644' && e.mode !== '100755') return null;
  const file = path.join(top, Buffer.from(e.path, 'latin1').toString('utf8'));
  let b: Buffer;
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > limits.maxFileSize) return null;
    b = fs.readFileSync(file);
  } catch {
    return null;
  }
  const h = createHash(e.id.length === 64 ? 'sha256' : 'sha1');
  h.update(`blob ${b.length}\0`);
  h.update(b);
  return h.digest('hex') === e.id ? b : null;
}

/** Where `tree` sits in the repository whose work tree top is `top` ('' at the top). */
export function prefixOf(top: string, tree: string): string {
  const rel = path.relative(fsReal(top), fsReal(tree));
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new InputError(`${tree}: not inside the git work tree ${top}`);
  return rel.split(path.sep).join('/');
}

function fsReal(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export function shortCommit(top: string, commit: string, env: Env = process.env): string {
  const subject = git(top, ['log', '-1', '--format=%h ("%s")', commit], undefined, env).toString('utf8').trim();
  return subject || commit.slice(0, 12);
}

/**
 * The commit the checkout `dir` is in is at (as shortCommit names it) and its
 * commit date: what an email report names its tree by and dates itself with.
 * undefined outside git and before the first commit.
 */
export function checkoutHead(dir: string, env: Env = process.env): { commit: string; date: Date } | undefined {
  const top = workTreeTop(dir, env);
  if (!top) return undefined;
  try {
    const full = resolveCommit(top, 'HEAD', env);
    const t = Number(git(top, ['show', '-s', '--format=%ct', full], undefined, env).toString('utf8').trim());
    return { commit: shortCommit(top, full, env), date: new Date((Number.isFinite(t) ? t : 0) * 1000) };
  } catch {
    return undefined;
  }
}
