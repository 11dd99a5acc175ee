// What a maintainer notices (issue 19, item 9), through the built CLI: the
// help of cache, rules, fetch-kernel and server lists no option that does
// nothing there (--include, --jobs...), the commands that read a tree still
// list them; fetch-kernel's --dir names the default CALLORDER_CACHE makes;
// the shipped pack copied elsewhere still finds kernel-c.json and its
// examples by their relative paths. (The progress line's width and the
// interrupted line: report/progress.test.ts; Date, tree: and Closes: in email
// reports: mail-headers.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TREE_OPTIONS = ['--include', '--exclude', '--max-file-size', '--timeout', '--jobs', '--max-body-bytes', '--cache'];

test('help lists only the options a command takes', () => {
  const listed = (cmd: string[]) => {
    const r = run([...cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    return TREE_OPTIONS.filter((o) => new RegExp(`^\\s+${o}\\b`, 'm').test(r.stdout));
  };
  for (const cmd of [['cache'], ['rules'], ['fetch-kernel'], ['server']]) assert.deepEqual(listed(cmd), [], cmd.join(' '));
  assert.match(run(['rules', '--help']).stdout, /^\s+--rules\b/m, 'rules takes --rules');
  for (const cmd of [['check'], ['review'], ['hook'], ['stats'], ['graph']]) assert.deepEqual(listed(cmd), TREE_OPTIONS, cmd.join(' '));
  // and an option that does nothing there is refused, not taken in silence
  const r = run(['cache', 'path', '--jobs', '2']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^callorder: Unknown argument: jobs\n$/);
});

test('fetch-kernel --dir names the default CALLORDER_CACHE makes', () => {
  assert.match(run(['fetch-kernel', '--help'], { CALLORDER_CACHE: '/srv/trees' }).stdout, /--dir +directory the trees are kept in \(default: \/srv\/trees\)/);
  const home = run(['fetch-kernel', '--help'], { CALLORDER_CACHE: '', XDG_CACHE_HOME: '', HOME: '/home/someone' }).stdout;
  assert.match(home, /\(default: \/home\/someone\/\.cache\/callorder\)/);
});

test('the shipped pack copied elsewhere finds kernel-c.json and its examples from callorder\'s rules/', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-copy-'));
  try {
    const copy = path.join(dir, 'my-kvm.yaml');
    fs.copyFileSync(path.join(ROOT, 'rules', 'kvm-x86.yaml'), copy);
    const list = run(['rules', 'list', '--rules', copy, '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), JSON.parse(run(['rules', 'list', '--format', 'json']).stdout).map((r: { file: string }) => ({ ...r, file: path.relative(process.cwd(), copy) })));
    const t = run(['rules', 'test', '--rules', copy]);
    assert.equal(t.code, 0, t.stderr);
    // a pack beside it wins, and one found nowhere is still an error at its key
    fs.writeFileSync(path.join(dir, 'kernel-c.json'), '{ "name": "mine" ');
    assert.match(run(['rules', 'list', '--rules', copy]).stderr, /kernel-c\.json: not valid JSON/);
    const text = JSON.stringify({ name: 'x', extends: ['nowhere.json'] });
    fs.writeFileSync(copy, text);
    // the key's line and column: where the value stands in the one-line pack
    assert.equal(run(['rules', 'list', '--rules', copy]).stderr,
      `callorder: ${copy}:1:${text.indexOf('"nowhere.json"') + 1}: extends[0]: no such pack: nowhere.json\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
