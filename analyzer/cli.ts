// The command line: argument parsing and dispatch only. Each command is a
// function in commands/ that returns an exit code; expected failures are
// UsageError/InputError/PackError/FetchError and print as one line.

import yargs from 'yargs';
import { PackError } from './pack/load';
import { InputError } from './source/load-tree';
import { FetchError } from './source/fetch-kernel';
import { UsageError } from './commands/common';
import * as commands from './commands';

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const run = (fn: () => number | Promise<number>) => async () => {
    code = await fn();
  };
  const parser = yargs(argv)
    .scriptName('callorder')
    .strict()
    .help()
    .version(commands.VERSION)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .option('rules', { type: 'string', describe: 'rule pack file (default: rules/kvm-x86.json)' })
    .option('include', { type: 'array', string: true, describe: 'glob of files to analyse (replaces the pack\'s)' })
    .option('exclude', { type: 'array', string: true, describe: 'glob of files to leave out' })
    .option('max-file-size', { type: 'number', describe: 'skip files larger than this many bytes (default 8 MiB)' })
    .option('timeout', { type: 'number', describe: 'per-file parse budget in seconds (default 20)' })
    .option('max-body-bytes', { type: 'number', describe: 'bytes of files outside the pack\'s own whose function bodies are kept; the rest are declarations only (default 128 MiB)' })
    .command('check [tree]', 'check a kernel tree with the rule pack', (y) => y
      .positional('tree', { type: 'string', describe: 'kernel tree (default: the current directory, if it is one)' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const })
      .option('fetch', { type: 'string', describe: 'check the Debian tree of this version (6.12 or 6.1), fetching it first' })
      .option('entry', { type: 'array', string: true, describe: 'only rules with these ids' }),
    (a) => run(() => commands.check(a))())
    .command('stats [tree]', 'parse coverage and call-graph resolution of a tree', (y) => y
      .positional('tree', { type: 'string' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const })
      .option('fetch', { type: 'string', describe: 'use the Debian tree of this version (6.12 or 6.1)' }),
    (a) => run(() => commands.stats(a))())
    .command('graph [tree]', 'the call graph from a function', (y) => y
      .positional('tree', { type: 'string' })
      .option('from', { type: 'string', demandOption: true, describe: 'function to start from' })
      .option('to', { type: 'string', describe: 'only the paths that reach this function' })
      .option('depth', { type: 'number', default: 12, describe: 'how many calls deep' })
      .option('format', { choices: ['text', 'dot', 'json'] as const, default: 'text' as const })
      .option('fetch', { type: 'string', describe: 'use the Debian tree of this version (6.12 or 6.1)' }),
    (a) => run(() => commands.graph(a))())
    // the positional is not called `version`: yargs reserves that name for --version
    // and would hand the command `true` instead of the release
    .command('fetch-kernel <release>', 'download and unpack a Debian kernel source tree, print its path', (y) => y
      .positional('release', { type: 'string', choices: ['6.12', '6.1'] as const, demandOption: true })
      .option('dir', { type: 'string', describe: 'cache directory (default ~/.cache/callorder)' })
      .option('full', { type: 'boolean', default: false, describe: 'unpack the whole tree, not only the KVM parts' }),
    (a) => run(() => commands.fetchKernelCmd({ ...a, version: a.release }))())
    .command('rules <action>', 'list the rules of the pack, or run their fixture tests', (y) => y
      .positional('action', { choices: ['list', 'test'] as const, demandOption: true }),
    (a) => run(() => commands.rulesCmd(a))())
    .demandCommand(1, 'name a command: check, stats, graph, fetch-kernel or rules')
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e);
  }
  return code;
}

function reportError(e: unknown): number {
  if (e instanceof UsageError || e instanceof InputError || e instanceof FetchError || e instanceof PackError) {
    process.stderr.write(`callorder: ${e.message}\n`);
    return 2;
  }
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  process.stderr.write(`callorder: internal error: ${msg}\n`);
  if (process.env.CALLORDER_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  return 2;
}
