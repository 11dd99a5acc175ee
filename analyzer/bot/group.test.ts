// Grouping as b4 does it, on messages fed straight into the state: subjects,
// threads, covers arriving late, a v2 sent in reply to v1, change-id, replies
// that are not patches, a message that does not parse; and what decide()
// makes of each series.

import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { subjectTag } from './subject';
import { ingest, complete } from './group';
import { State } from './state';
import { decide } from './schedule';
import type { BotConfig } from './config';

const DIFF = (file: string) => `---\ndiff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1 +1 @@\n-a\n+b\n`;

function mail(h: { id: string; subject: string; from?: string; parent?: string; refs?: string[] }, body: string): Buffer {
  const head = [`From: ${h.from ?? 'Ada <ada@example.org>'}`, `Subject: ${h.subject}`, `Message-ID: ${h.id}`];
  if (h.parent) head.push(`In-Reply-To: ${h.parent}`, `References: ${(h.refs ?? [h.parent]).join(' ')}`);
  return Buffer.from(`${head.join('\n')}\n\n${body}`);
}

describe('bot: subjects', () => {
  it('reads version, index and total the way b4 does; replies and non-patches are none', () => {
    assert.deepEqual(subjectTag('[PATCH v3 2/5] KVM: x86: foo'), { version: 3, index: 2, total: 5, title: 'KVM: x86: foo' });
    assert.deepEqual(subjectTag('[RFC PATCH net-next 0/7] y'), { version: 1, index: 0, total: 7, title: 'y' });
    assert.deepEqual(subjectTag('[RFC][PATCH v2 1/2]  a  b'), { version: 2, index: 1, total: 2, title: 'a b' });
    assert.deepEqual(subjectTag('[PATCH] z'), { version: 1, index: 1, total: 1, title: 'z' });
    assert.equal(subjectTag('Re: [PATCH 1/2] z'), null);
    assert.equal(subjectTag('[GIT PULL] kvm'), null);
    assert.equal(subjectTag('[PATCH 3/2] impossible'), null);
  });
});

describe('bot: grouping', () => {
  let dir: string;
  let state: State;
  let n = 0;
  const cfg = { waitSeconds: 600 } as BotConfig;
  const select = (p: string) => p.startsWith('arch/x86/kvm/');
  const add = (raw: Buffer, now = 1000) => state.tx(() => ingest(state, { epoch: 0, commit: (n++).toString(16).padStart(40, '0'), raw }, now));

  beforeEach(() => {
    n = 0;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-group-'));
    state = new State(path.join(dir, 's.sqlite'));
  });
  afterEach(() => {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a series with its cover, patch 2 before patch 1: one series named by the cover, complete only with both', () => {
    add(mail({ id: '<c@x>', subject: '[PATCH 0/2] the series' }, 'cover\n'));
    add(mail({ id: '<p2@x>', subject: '[PATCH 2/2] second', parent: '<c@x>' }, DIFF('arch/x86/kvm/a.c')));
    assert.equal(complete(state, '<c@x> v1'), false);
    add(mail({ id: '<p1@x>', subject: '[PATCH 1/2] first', parent: '<c@x>' }, DIFF('arch/x86/kvm/b.c')));
    assert.equal(complete(state, '<c@x> v1'), true);
    const s = state.series('<c@x> v1')!;
    assert.equal(s.title, 'the series');
    assert.deepEqual(state.patches(s.id).map((p) => p.msgid), ['<p1@x>', '<p2@x>']);
    decide(state, cfg, select, 1000, () => undefined);
    assert.equal(state.series(s.id)!.status, 'queued');
  });

  it('a patch k/n whose parent has not arrived joins the series its parent will name', () => {
    add(mail({ id: '<q2@x>', subject: '[PATCH 2/2] second', parent: '<q1@x>' }, DIFF('arch/x86/kvm/a.c')));
    add(mail({ id: '<q1@x>', subject: '[PATCH 1/2] first' }, DIFF('arch/x86/kvm/a.c')));
    assert.deepEqual(state.patches('<q1@x> v1').map((p) => p.idx), [1, 2]);
  });

  it('v2 sent in reply to v1\'s cover is a series of its own, and supersedes v1 while v1 waits', () => {
    add(mail({ id: '<c1@x>', subject: '[PATCH 0/2] mmu' }, 'cover\n'));
    add(mail({ id: '<a1@x>', subject: '[PATCH 1/2] one', parent: '<c1@x>' }, DIFF('arch/x86/kvm/a.c')));
    add(mail({ id: '<c2@x>', subject: '[PATCH v2 0/1] mmu', parent: '<c1@x>' }, 'cover v2\n'));
    add(mail({ id: '<a2@x>', subject: '[PATCH v2 1/1] one', parent: '<c2@x>', refs: ['<c1@x>', '<c2@x>'] }, DIFF('arch/x86/kvm/a.c')));
    assert.deepEqual(state.patches('<c2@x> v2').map((p) => p.msgid), ['<a2@x>']);
    assert.deepEqual(state.patches('<c1@x> v1').map((p) => p.msgid), ['<a1@x>']);
    decide(state, cfg, select, 1000, () => undefined);
    assert.deepEqual([state.series('<c1@x> v1')!.status, state.series('<c1@x> v1')!.reason], ['skipped', 'superseded by v2']);
    assert.equal(state.series('<c2@x> v2')!.status, 'queued');
  });

  it('change-id ties versions whose titles differ', () => {
    add(mail({ id: '<d1@x>', subject: '[PATCH 0/1] old title' }, 'cover\n\n---\nchange-id: 20261206-mmu-1234\n'));
    add(mail({ id: '<d2@x>', subject: '[PATCH v2 0/1] new title' }, 'cover\n\n---\nchange-id: 20261206-mmu-1234\n'));
    decide(state, cfg, select, 1000, () => undefined);
    assert.equal(state.series('<d1@x> v1')!.reason, 'superseded by v2');
    assert.equal(state.series('<d2@x> v2')!.status, 'waiting', 'no patch yet, its wait not over');
  });

  it('replies are messages, not series; a message that does not parse is kept with its reason; an id seen twice counts once', () => {
    add(mail({ id: '<p@x>', subject: '[PATCH] one' }, DIFF('Documentation/a.rst')));
    add(mail({ id: '<r@x>', subject: 'Re: [PATCH] one', parent: '<p@x>' }, '> quoted\nok\n'));
    const bad = add(Buffer.from('this is no mail header\n\nbody\n'));
    assert.equal(bad.error, 'epoch 0 commit 000000000000:1: not an mbox, a mail or a diff');
    add(mail({ id: '<p@x>', subject: '[PATCH] one' }, DIFF('Documentation/a.rst')));
    const rows = state.db.prepare('SELECT msgid, series, error IS NOT NULL AS bad FROM messages ORDER BY rowid').all();
    assert.deepEqual(rows.map((r) => JSON.stringify(r)), [
      '{"msgid":"<p@x>","series":"<p@x> v1","bad":0}',
      '{"msgid":"<r@x>","series":null,"bad":0}',
      '{"msgid":"<commit-0000000000000000000000000000000000000002@invalid>","series":null,"bad":1}',
    ]);
    decide(state, cfg, select, 1000, () => undefined);
    assert.deepEqual([state.series('<p@x> v1')!.status, state.series('<p@x> v1')!.reason],
      ['skipped', 'touches none of the pack\'s files (Documentation/a.rst)']);
  });

  it('an incomplete series is reviewed as it is once its wait is over', () => {
    add(mail({ id: '<w1@x>', subject: '[PATCH 1/3] one' }, DIFF('arch/x86/kvm/a.c')), 1000);
    decide(state, cfg, select, 1599, () => undefined);
    assert.equal(state.series('<w1@x> v1')!.status, 'waiting');
    decide(state, cfg, select, 1600, () => undefined);
    assert.equal(state.series('<w1@x> v1')!.status, 'queued');
  });
});
