// Every field and function a rule names is checked against the tree
// (pack/names.ts): a misspelt one made the rule check nothing, silently.
// Through the CLI on the kind fixtures, each with a copy of its pack.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

/** check a kind's fixture directory with its pack changed by `edit`; stderr and the exit code. */
function checkWith(kind: string, edit: (rule: Record<string, unknown>) => void): { status: number | null; stderr: string; file: string } {
  const dir = path.join(ROOT, 'fixtures', 'rules', kind);
  const raw = JSON.parse(fs.readFileSync(path.join(dir, 'pack.json'), 'utf8'));
  delete raw.rules[0].examples;
  edit(raw.rules[0]);
  raw.extends = [path.join(ROOT, 'rules', 'kernel-c.json')];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-names-'));
  const file = path.join(tmp, 'pack.json');
  fs.writeFileSync(file, JSON.stringify(raw, null, 2));
  try {
    const r = spawnSync(process.execPath, [CLI, 'check', dir, '--rules', file, '--no-cache'], {
      encoding: 'utf8', env: { ...process.env, CALLORDER_NO_SERVER: '1' },
    });
    return { status: r.status, stderr: r.stderr, file };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test('names: a misspelt field or initializer is a note naming the rule and the key; the run goes on', () => {
  const bad = checkWith('init-before-read', (r) => {
    r.fields = ['widget.sise'];
    r.initializers = ['widget_setpu'];
  });
  assert.equal(bad.status, 0);
  assert.equal(bad.stderr, [
    `${bad.file}: rules[0].fields: widget.sise is not in the analysed files; rule widget-size-before-setup checks nothing through it`,
    `${bad.file}: rules[0].initializers: widget_setpu is not in the analysed files; rule widget-size-before-setup checks nothing through it`,
    '',
  ].join('\n'));
  // the pack as written names what the tree has: not a word
  const good = checkWith('init-before-read', () => undefined);
  assert.equal(good.stderr, '');
});

test('names: a key listing several forms is fine while one is there; glob operations match by pattern', () => {
  // one of the two fields exists: the key still checks something
  assert.equal(checkWith('init-before-read', (r) => { r.fields = ['widget.size', 'widget.sise']; }).stderr, '');
  // must-follow's refresh: a deferral flag missing is fine while the immediate refresh is there (6.x has no
  // flag), a misspelt refresh is fine while the flag is there; with neither form there, one note for the pair
  assert.equal(checkWith('must-follow', (r) => { r.deferredBy = ['widget.no_such_flag']; }).stderr, '');
  assert.equal(checkWith('must-follow', (r) => { r.follow = ['widget_refresh_capz']; r.deferredBy = ['widget.caps_dirty']; }).stderr, '');
  const none = checkWith('must-follow', (r) => { r.follow = ['widget_refresh_capz']; r.deferredBy = ['widget.no_such_flag']; });
  assert.match(none.stderr, /rules\[0\]\.follow, deferredBy: none of widget\.no_such_flag, widget_refresh_capz is in the analysed files; rule widget-caps-after-mode checks nothing through it\n$/);
  assert.equal(checkWith('requires-before', (r) => { r.operations = ['hw_*']; }).stderr.includes('operations'), false);
  assert.match(checkWith('requires-before', (r) => { r.operations = ['nothing_like_*']; }).stderr, /rules\[0\]\.operations: nothing_like_\* is not in the analysed files/);
});
