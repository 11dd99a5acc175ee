// The bot's bad input: a configuration or an archive it cannot use is one
// line naming the file (and the key), exit 2, no stack trace, no state made.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './archive.fixture';

const CLI = path.join(ROOT, 'bin', 'callorder');

describe('bot: bad configuration and archives', () => {
  let work: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-botcfg-'));
    fs.mkdirSync(path.join(work, 'not-an-inbox'));
    fs.mkdirSync(path.join(work, 'tree'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"inbox": ', /^callorder: .*bot\.json: not JSON: /],
    ['an unknown key', '{"inbox": "x", "tree": "y", "workerz": 2}', /^callorder: .*bot\.json: workerz: not a key of the bot's configuration$/],
    ['workers not a number', '{"inbox": "x", "tree": "y", "workers": "two"}', /^callorder: .*bot\.json: workers: must be a number, 1 or more$/],
    ['two outboxes', '{"inbox": "x", "tree": "y", "outbox": {"maildir": "m", "sendmail": ["s"]}}', /^callorder: .*bot\.json: outbox: name one of maildir or sendmail$/],
    ['sendmail as a string', '{"inbox": "x", "tree": "y", "outbox": {"sendmail": "sendmail -t"}}', /^callorder: .*bot\.json: outbox\.sendmail: must be a command as a list of strings/],
    ['patchwork without a token', '{"inbox": "x", "tree": "y", "patchwork": {"url": "http://127.0.0.1:1"}}', /^callorder: .*bot\.json: patchwork: must be /],
    ['no inbox', '{"tree": "y"}', /^callorder: .*bot\.json: name the archive: --inbox PATH or "inbox" in --config$/],
    ['an inbox that is no v2 archive', '{"inbox": "not-an-inbox", "tree": "tree", "state": "s.sqlite"}', /^callorder: .*not-an-inbox: not a public-inbox v2 archive \(no git\/ directory of epochs\)$/],
  ];
  for (const [name, text, re] of cases) {
    it(name, () => {
      const cfg = path.join(work, 'bot.json');
      fs.writeFileSync(cfg, text);
      const r = spawnSync(process.execPath, [CLI, 'bot', 'run', '--config', cfg, '--once'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
      assert.match(r.stderr.trimEnd(), re);
      assert.equal(fs.existsSync(path.join(work, 's.sqlite')), false, 'no state made');
    });
  }
});
