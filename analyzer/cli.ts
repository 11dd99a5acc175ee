// The command line: argument parsing and dispatch only. Each command is a
// function in commands/ that returns an exit code; expected failures are
// UsageError/InputError/PackError/FetchError and print as one line.

// first: it tunes V8 for the code loaded after it
import './util/tiering';
import yargs, { type Argv } from 'yargs';
import { FORMATS, type Format } from './report/render';
import { VERSION } from './version';

// each command's module is loaded when it runs: a check does not pay for review's or graph's
const commands = {
  get check() { return (require('./commands/check') as typeof import('./commands/check')).check; },
  get review() { return (require('./commands/review') as typeof import('./commands/review')).review; },
  get hook() { return (require('./commands/hook') as typeof import('./commands/hook')).hook; },
  get stats() { return (require('./commands/stats') as typeof import('./commands/stats')).stats; },
  get graph() { return (require('./commands/graph') as typeof import('./commands/graph')).graph; },
  get inferCmd() { return (require('./commands/infer') as typeof import('./commands/infer')).inferCmd; },
  get fetchKernelCmd() { return (require('./commands/fetch-kernel') as typeof import('./commands/fetch-kernel')).fetchKernelCmd; },
  get rulesCmd() { return (require('./commands/rules') as typeof import('./commands/rules')).rulesCmd; },
  get cacheCmd() { return (require('./commands/cache') as typeof import('./commands/cache')).cacheCmd; },
  get serverCmd() { return (require('./commands/server') as typeof import('./commands/server')).serverCmd; },
  get botCmd() { return (require('./commands/bot') as typeof import('./commands/bot')).botCmd; },
};
import { stopWorkers } from './driver/parse-pool';
import { cacheRoot, sweepTemporaries } from './cache/store';
import { kernelCacheRoot } from './cache/root';
import { SIGNALS, interruptedLine } from './util/signals';
import { processIo, type Io } from './util/io';
import type { AnalysisHost } from './driver/analyze';
import { stopProgress } from './report/progress';
import { FetchError, InputError, PackError, UsageError } from './util/errors';

export async function main(argv: string[]): Promise<number> {
  onSignals();
  return dispatch(argv, processIo());
}

/**
 * The command `argv` names, run to its exit code with `io` as its streams,
 * environment and directory and `host` as its analysis session (a new one when
 * none is given): main() without the process's signal handling, and what the server runs a
 * client's request with (server/server.ts).
 */
export async function dispatch(argv: string[], io: Io, host?: AnalysisHost): Promise<number> {
  let code = 0;
  const run = (fn: () => number | Promise<number>) => async () => {
    code = await fn();
  };
  const parser = yargs(argv)
    .scriptName('callorder')
    .strict()
    .help()
    .version(VERSION)
    .wrap(Math.min(100, io.stdout.columns || 100))
    .command('check [tree]', 'check a kernel tree with the rule pack', (y) => reportOptions(treeOptions(y))
      .positional('tree', { type: 'string', describe: 'kernel tree (default: the current directory, if it is one)' })
      .option('fetch', { type: 'string', describe: 'check the Debian tree of this version (N.M: 7.2, 6.12, 6.1...; newest), fetching it first' })
      .option('entry', { type: 'array', string: true, describe: 'only rules with these ids' })
      .option('baseline', { type: 'string', describe: 'a previous `check --format json` output: show only findings it does not have' })
      .option('since', { type: 'string', describe: 'a git revision: show only findings the change from it to the working tree adds' }),
    (a) => run(() => commands.check(a, io, host))())
    .command('review [patch]', 'apply a patch or series (mbox, or - for stdin) to a copy of TREE in memory; report the findings it adds', (y) => reportOptions(treeOptions(y), 'email', ['b4'])
      .positional('patch', { type: 'string', describe: 'mbox file as `b4 am -o -` or `git format-patch` write it; - or nothing: stdin' })
      .option('tree', { type: 'string', describe: 'the kernel tree the patches apply to (default: the current directory, if it is one)' })
      .option('mailback', { type: 'boolean', default: false, describe: 'print a reply to each patch with new findings, ready to send; nothing when there are none' })
      .option('max-patch-size', { type: 'number', describe: 'refuse input larger than this many bytes (default 32 MiB)' }),
    (a) => run(() => commands.review(a, io, host))())
    .command('hook <action>', 'install or uninstall a git pre-commit hook that blocks commits adding findings; run: what the hook runs', (y) => treeOptions(y)
      .positional('action', { choices: ['install', 'uninstall', 'run'] as const, demandOption: true })
      .option('server', { type: 'boolean', default: false, describe: 'install: a hook that starts a resident server (`callorder server`) when none answers, so that the commits after the first are checked by it; run: start one now when none answered' }),
    (a) => run(() => commands.hook(a, io, host))())
    .command('stats [tree]', 'parse coverage and call-graph resolution of a tree', (y) => treeOptions(y)
      .positional('tree', { type: 'string' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const })
      .option('fetch', { type: 'string', describe: 'use the Debian tree of this version (N.M: 7.2, 6.12, 6.1...; newest)' }),
    (a) => run(() => commands.stats(a, io))())
    .command('graph [tree]', 'the call graph from a function', (y) => treeOptions(y)
      .positional('tree', { type: 'string' })
      .option('from', { type: 'string', demandOption: true, describe: 'function to start from' })
      .option('to', { type: 'string', describe: 'only the paths that reach this function' })
      .option('depth', { type: 'number', default: 12, describe: 'how many calls deep' })
      .option('format', { choices: ['text', 'dot', 'json'] as const, default: 'text' as const })
      .option('fetch', { type: 'string', describe: 'use the Debian tree of this version (N.M: 7.2, 6.12, 6.1...; newest)' }),
    (a) => run(() => commands.graph(a, io))())
    .command('infer [tree]', 'the ordering beliefs the tree\'s own paths hold, ranked, and the paths that break them', (y) => treeOptions(y)
      .positional('tree', { type: 'string' })
      .option('entries', { type: 'array', string: true, describe: 'functions whose paths to count, or roles of the pack (their outermost dispatchers); default: the entries of the pack\'s rules' })
      .option('top', { type: 'number', default: 20, describe: 'how many beliefs and deviants to print' })
      .option('format', { choices: ['text', 'json', 'pack'] as const, default: 'text' as const })
      .option('fetch', { type: 'string', describe: 'use the Debian tree of this version (N.M: 7.2, 6.12, 6.1...; newest)' }),
    (a) => run(() => commands.inferCmd(a, io))())
    .command('fetch-kernel <release>', 'download and unpack Debian\'s linux-source-RELEASE (from this machine\'s apt suites, else unstable), print its path', (y) => y
      // not `version`: yargs reserves that name for --version, and the positional then never parses
      .positional('release', { type: 'string', demandOption: true, describe: 'N.M (7.2, 6.12, 6.1...) or newest' })
      .option('dir', { type: 'string', describe: `directory the trees are kept in (default: ${kernelCacheRoot()})` })
      .option('full', { type: 'boolean', default: false, describe: 'unpack the whole tree, not only the KVM parts' }),
    (a) => run(() => commands.fetchKernelCmd(a, io))())
    .command('rules <action>', 'list the rules of the pack, or run their fixture tests', (y) => y
      .option('rules', RULES_OPTION)
      .positional('action', { choices: ['list', 'test'] as const, demandOption: true })
      .option('tree', { type: 'string', describe: 'list: each rule\'s entries in this tree, roles expanded to the functions found' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const }),
    (a) => run(() => commands.rulesCmd(a, io))())
    .command('cache <action>', 'empty the cache of facts and results, or print where it is', (y) => y
      .positional('action', { type: 'string', choices: ['clear', 'path'] as const, demandOption: true }),
    (a) => run(() => commands.cacheCmd(a, io))())
    .command('server <action>', 'a resident process that answers `check` and `hook run` with the facts kept in memory (start, stop, status; run: in the foreground)', (y) => y
      .positional('action', { type: 'string', choices: ['start', 'stop', 'status', 'run'] as const, demandOption: true })
      .option('idle', { type: 'number', default: 900, describe: 'seconds without a request after which the server exits' }),
    (a) => run(() => commands.serverCmd(a, io, dispatch))())
    .command('bot <action>', 'a review bot over a public-inbox archive: run it, or show what it has done', (y) => y
      .positional('action', { type: 'string', choices: ['run', 'status'] as const, demandOption: true })
      .option('config', { type: 'string', describe: 'the bot\'s JSON configuration (README: the review bot)' })
      .option('inbox', { type: 'string', describe: 'the public-inbox v2 archive to follow' })
      .option('tree', { type: 'string', describe: 'the git repository the series are reviewed on' })
      .option('branch', { type: 'string', describe: 'the base when a series names none the tree has (default HEAD)' })
      .option('state', { type: 'string', describe: 'the bot\'s SQLite state (default ./callorder-bot.sqlite)' })
      .option('workers', { type: 'number', describe: 'reviews run at once (default 2)' })
      .option('once', { type: 'boolean', default: false, describe: 'process what the archive holds now, then exit' })
      .option('from-start', { type: 'boolean', default: false, describe: 'a new state reads the whole archive (default: from its end, as if all of it were seen)' })
      .option('html', { type: 'string', describe: 'status: write a static HTML page here instead of text' }),
    (a) => run(() => commands.botCmd(a as Parameters<typeof commands.botCmd>[0], io))())
    .demandCommand(1, 'name a command: check, review, hook, stats, graph, infer, fetch-kernel, rules, cache, server or bot')
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e, io);
  }
  return code;
}

const RULES_OPTION = { type: 'string', describe: 'rule pack file (default: rules/kvm-x86.yaml)' } as const;

/**
 * Options of the commands that read a tree (check, review, hook, stats,
 * graph): which files, which pack, the limits, threads and cache. Only they
 * list them: cache, rules, fetch-kernel and server take none of them.
 */
function treeOptions<T>(y: Argv<T>) {
  return y
    .option('rules', RULES_OPTION)
    .option('include', { type: 'array', string: true, describe: 'glob of files to analyse (replaces the pack\'s)' })
    .option('exclude', { type: 'array', string: true, describe: 'glob of files to leave out' })
    .option('max-file-size', { type: 'number', describe: 'skip files larger than this many bytes (default 8 MiB)' })
    .option('timeout', { type: 'number', describe: 'per-file parse budget in seconds (default 20)' })
    .option('jobs', { type: 'number', describe: 'threads that parse (default: all cores)' })
    .option('max-body-bytes', { type: 'number', describe: 'a tree with this many bytes of source read with its function bodies, or more, keeps the bodies on disk and reads each back when needed (check reads them only in the pack\'s files; default 96 MiB; 0: always)' })
    .option('cache', { type: 'boolean', default: true, describe: 'read and write the fact and results cache, see `callorder cache path` (--no-cache: neither)' });
}

/** Options every reporting command shares: output format, the email's identity. */
function reportOptions<T, E extends string = never>(y: Argv<T>, format: Format = 'text', extra: readonly E[] = []) {
  return y
    // review's b4: its review-check JSON, for b4's check command
    .option('format', { choices: [...FORMATS, ...extra] as readonly (Format | E)[], default: format as Format | E })
    .option('reporter', { type: 'string', describe: 'email reports: the Reported-by identity, "Name <address>"' })
    .option('closes-url-base', { type: 'string', describe: 'email reports: the Closes: link is this plus the report\'s Message-ID' });
}

/**
 * SIGINT, SIGTERM and SIGHUP end a run with one line and exit code 128+signo,
 * after the parse workers are stopped and the temporary cache files this
 * process left are removed; the 'exit' handlers then remove its temporary
 * directories (load-tree.ts). Without this a signal kills the process where it
 * stands: a run's fact store under TMPDIR stays behind, and a worker stopped
 * between writing an entry and renaming it leaves the temporary file. The
 * signal is acted on at the next turn of the event loop: between files while
 * parsing, after the rules' run (about 2 s on 6.12's KVM) in the engine. A
 * second signal exits at once.
 */
function onSignals(): void {
  let ending = false;
  for (const [name, no] of Object.entries(SIGNALS)) {
    process.on(name, () => {
      const code = 128 + no;
      if (ending) process.exit(code);
      ending = true;
      // the progress line goes first and is not drawn again: the line that says why is the last one
      stopProgress();
      process.stderr.write(interruptedLine(name));
      const end = () => {
        try {
          sweepTemporaries(cacheRoot());
        } finally {
          process.exit(code);
        }
      };
      void stopWorkers(2000).then(end, end);
    });
  }
}

function reportError(e: unknown, io: Io): number {
  if (e instanceof UsageError || e instanceof InputError || e instanceof FetchError || e instanceof PackError) {
    io.stderr.write(`callorder: ${e.message}\n`);
    return 2;
  }
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  io.stderr.write(`callorder: internal error: ${msg}\n`);
  if (io.env.CALLORDER_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
  return 2;
}
