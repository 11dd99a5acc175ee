import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnalysisHost } from '../driver/analyze';
import { removedEntryNotes } from '../pack/entries';
import { renderText } from '../report/text';
import { splitByBaseline } from '../report/baseline';
import { selector, type SourceTree } from '../source/snapshot';
import { git, hasCommit, revisionTree, stagedAndHead, workTreeTop } from '../vcs/git';
import { CommonArgs, resolvePack, limitsOf, jobsOf, log, type ReportArgs } from './common';
import { spawnServer } from '../server/spawn';
import { InputError, UsageError } from '../util/errors';
import type { Io } from '../util/io';

export const MARKER = '# callorder pre-commit hook';
const CHAINED = 'pre-commit.callorder-chained';

export interface HookArgs extends CommonArgs, ReportArgs {
  action: 'install' | 'uninstall' | 'run';
  /** the hook starts a resident server when none answered it */
  server?: boolean;
}

export async function hook(a: HookArgs, io: Io, host = new AnalysisHost()): Promise<number> {
  const top = workTreeTop(io.cwd, io.env);
  if (!top) throw new UsageError('not in a git checkout: run `callorder hook` inside the kernel tree');
  if (a.action === 'run') return runHook(top, a, io, host);
  const dir = path.resolve(io.cwd, git(io.cwd, ['rev-parse', '--git-path', 'hooks'], undefined, io.env).toString('utf8').trim());
  return a.action === 'install' ? install(dir, a, io, host) : uninstall(dir, io);
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function script(a: HookArgs, cwd: string): string {
  const launcher = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');
  const extra = (a.rules ? ` --rules ${shq(path.resolve(cwd, a.rules))}` : '') + (a.server ? ' --server' : '');
  return [
    '#!/bin/sh',
    `${MARKER}: blocks a commit only on findings the staged change adds.`,
    '# Written by `callorder hook install`; `callorder hook uninstall` removes it and puts back',
    `# the hook that was here before (kept as ${CHAINED}, and run first).`,
    `chained="$(dirname "$0")/${CHAINED}"`,
    'if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi',
    // a callorder that was moved or removed must not block every commit
    `if [ ! -x ${shq(process.execPath)} ] || [ ! -f ${shq(launcher)} ]; then`,
    `  echo ${shq(`callorder: not found at ${launcher}; commit not checked (run "callorder hook install" again)`)} >&2`,
    '  exit 0',
    'fi',
    `exec ${shq(process.execPath)} ${shq(launcher)} hook run${extra}`,
    '',
  ].join('\n');
}

async function install(dir: string, a: HookArgs, io: Io, host: AnalysisHost): Promise<number> {
  const hookFile = path.join(dir, 'pre-commit');
  const chained = path.join(dir, CHAINED);
  fs.mkdirSync(dir, { recursive: true });
  const existing = readIfExists(hookFile);
  if (existing !== null && !existing.includes(MARKER)) {
    if (fs.existsSync(chained)) {
      throw new InputError(`${hookFile}: a pre-commit hook is there and ${CHAINED} too; callorder will not overwrite either`);
    }
    fs.renameSync(hookFile, chained);
    log(io, `callorder: kept the existing pre-commit hook as ${chained}; it runs first`);
  }
  fs.writeFileSync(hookFile, script(a, io.cwd), { mode: 0o755 });
  fs.chmodSync(hookFile, 0o755);
  log(io, `callorder: installed ${hookFile}`);
  if (a.server) log(io, 'callorder: the hook starts a resident server when none answers it; `callorder server stop` ends one');
  else log(io, 'callorder: `hook install --server`, or `callorder server start`, keeps a process that answers the hook in a fraction of the time');
  await warm(a, io, host);
  return 0;
}

/** HEAD analysed once now, so that the first commit is checked as quickly as the next ones. */
async function warm(a: HookArgs, io: Io, host: AnalysisHost): Promise<void> {
  const top = workTreeTop(io.cwd, io.env);
  if (!top || !hasCommit(top, io.env) || a.cache === false) return;
  const pack = resolvePack(a, io);
  const limits = limitsOf(a);
  const head = revisionTree(top, 'HEAD', '', selector(pack, { include: a.include, exclude: a.exclude }), limits, 'HEAD', io.env);
  if (!head.files.size) return;
  log(io, `callorder: analysing HEAD once (${head.files.size} files) so that commits are checked from the cache`);
  await host.analyze(head, pack, { limits, jobs: jobsOf(a) });
}

function uninstall(dir: string, io: Io): number {
  const hookFile = path.join(dir, 'pre-commit');
  const chained = path.join(dir, CHAINED);
  const existing = readIfExists(hookFile);
  if (existing === null) {
    log(io, 'callorder: no pre-commit hook installed');
    return 0;
  }
  if (!existing.includes(MARKER)) throw new InputError(`${hookFile}: not callorder's hook; left alone`);
  fs.rmSync(hookFile);
  if (fs.existsSync(chained)) {
    fs.renameSync(chained, hookFile);
    log(io, `callorder: removed its hook and put back the one it had kept (${hookFile})`);
  } else log(io, `callorder: removed ${hookFile}`);
  return 0;
}

function readIfExists(f: string): string | null {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return null;
  }
}

function sameTree(a: SourceTree, b: SourceTree): boolean {
  if (a.files.size !== b.files.size) return false;
  for (const [k, v] of a.files) {
    const w = b.files.get(k);
    if (w === undefined) return false;
    if (Buffer.isBuffer(v) !== Buffer.isBuffer(w)) return false;
    if (Buffer.isBuffer(v) ? !v.equals(w as Buffer) : (v as { note: string }).note !== (w as { note: string }).note) return false;
  }
  return true;
}

/** The staged content against HEAD, both read from git's objects: what the commit would add. */
async function runHook(top: string, a: HookArgs, io: Io, host: AnalysisHost): Promise<number> {
  // this process runs the hook, so no server answered it: one starts for the next commit
  if (a.server && a.cache !== false && !io.served && !io.env.CALLORDER_NO_SERVER) {
    // a server that cannot be started costs the next commit its speed, never this one its check
    try {
      spawnServer(undefined, io.env).on('error', () => undefined);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      log(io, `callorder: no server started: ${e.message}`);
    }
  }
  const pack = resolvePack(a, io);
  const limits = limitsOf(a);
  const select = selector(pack, { include: a.include, exclude: a.exclude });
  const { staged, head } = await stagedAndHead(top, select, limits, io.env);
  if (sameTree(staged, head)) return 0;
  const opts = { limits, cache: a.cache, jobs: jobsOf(a) };
  const headResult = await host.analyze(head, pack, opts);
  const before = new Set(headResult.findings.map((f) => f.id));
  const stagedResult = await host.analyze(staged, pack, { ...opts, near: headResult });
  const { added } = splitByBaseline(stagedResult.findings, before);
  // a commit that renames or removes an entry passes, but not in silence: its rule no longer runs from there
  for (const n of removedEntryNotes(pack, headResult.missing ?? [], stagedResult.missing ?? [])) log(io, `callorder: the staged change ${n}`);
  if (!added.length) return 0;
  io.stderr.write(`callorder: the staged change adds ${added.length} call-ordering warning${added.length === 1 ? '' : 's'}:\n`);
  io.stderr.write(renderText(added));
  io.stderr.write('callorder: commit refused. Fix the ordering, or commit anyway with `git commit --no-verify`.\n');
  return 1;
}
