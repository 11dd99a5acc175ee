// The headers of `review --mailback` replies and what email reports say of
// their input (issue 19, items 4 and 9). A patch that adds a finding to a
// small widget tree is sent with hostile and unusual headers: a bare CR with
// a Bcc after it in the Subject, control characters, non-ASCII and encoded
// words, subjects and address lists long enough to fold. Every reply must
// be one header a line (a continuation line begins with a space), plain
// printable ASCII, with one Subject, no header the patch smuggled in, and a
// Subject that decodes back to "Re: " and the patch's own. What cannot be
// written safely (a control character in an address or a message id) is
// refused with one line and exit 2, and nothing on stdout. The fuzz cases
// are seeded (CALLORDER_MAIL_FUZZ_SEED, CALLORDER_MAIL_FUZZ_CASES) and run
// the review command's own code in this process; the case runs
// through the CLI too.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { review } from './review';
import { decodeWords } from '../review/mbox';
import { Prng } from '../fuzz/prng';
import { InputError } from '../util/errors';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');
const FIXTURE = path.join(ROOT, 'fixtures', 'rules', 'init-before-read');
const PACK = path.join(FIXTURE, 'pack.json');

const W_C = [
  '#include "widget.h"',
  '',
  'static int widget_alloc_buffers(struct widget *w)',
  '{',
  '\treturn w->size / 4;',
  '}',
  '',
  'int widget_create(struct widget *w)',
  '{',
  '\twidget_setup(w);',
  '\treturn widget_alloc_buffers(w);',
  '}',
  '',
].join('\n');

/** widget_setup() moved after the read: the finding the patch adds */
const DIFF = [
  'diff --git a/w.c b/w.c',
  'index 1111111..2222222 100644',
  '--- a/w.c',
  '+++ b/w.c',
  '@@ -8,5 +8,6 @@ static int widget_alloc_buffers(struct widget *w)',
  ' int widget_create(struct widget *w)',
  ' {',
  '-\twidget_setup(w);',
  '-\treturn widget_alloc_buffers(w);',
  '+\tint r = widget_alloc_buffers(w);',
  '+\twidget_setup(w);',
  '+\treturn r;',
  ' }',
].join('\n');

interface Headers { subject: string; from?: string; to?: string; cc?: string; messageId?: string; references?: string; date?: string }

/** A patch mail with these raw header values (latin1: a byte a character). */
function mail(h: Headers): Buffer {
  return Buffer.from([
    'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001',
    `From: ${h.from ?? 'Alice <alice@example.org>'}`,
    ...(h.to !== undefined ? [`To: ${h.to}`] : ['To: kvm@vger.kernel.org']),
    ...(h.cc !== undefined ? [`Cc: ${h.cc}`] : []),
    `Date: ${h.date ?? 'Mon, 6 Jan 2025 10:00:00 +0100'}`,
    `Message-ID: ${h.messageId ?? '<p1@example.org>'}`,
    ...(h.references !== undefined ? [`References: ${h.references}`] : []),
    `Subject: ${h.subject}`,
    '',
    'Move the setup.',
    '---',
    DIFF,
    '-- ',
    '2.39.5',
    '',
  ].join('\n'), 'latin1');
}

/** The header block of each reply in an mbox of replies. */
function replies(out: string): string[][] {
  return out.split(/^(?=From callorder )/m).filter(Boolean).map((m) => m.slice(0, m.indexOf('\n\n')).split('\n'));
}

/** Every line a header or a continuation, printable ASCII, within 998; one Subject, From, Date, Message-ID. */
function assertOneHeaderALine(head: string[], ctx: string): Map<string, string> {
  assert.match(head[0], /^From callorder /, ctx);
  const fields = new Map<string, string>();
  let last = '';
  for (const l of head.slice(1)) {
    assert.ok(l.length <= 998, `${ctx}: a line of ${l.length}`);
    assert.match(l, /^[\x20-\x7e\t]+$/, `${ctx}: a header line with a byte outside printable ASCII: ${JSON.stringify(l)}`);
    if (/^[ \t]/.test(l)) {
      assert.ok(last, `${ctx}: a continuation with no header before it`);
      assert.ok(l.trim() !== '', `${ctx}: a line of white space alone`);
      fields.set(last, `${fields.get(last)}${l}`);
      continue;
    }
    const m = /^([A-Za-z-]+): (.*)$/.exec(l);
    assert.ok(m, `${ctx}: not a header line: ${JSON.stringify(l)}`);
    assert.ok(!fields.has(m[1].toLowerCase()), `${ctx}: ${m[1]} twice`);
    last = m[1].toLowerCase();
    fields.set(last, m[2]);
  }
  const names = [...fields.keys()].sort();
  for (const want of ['date', 'from', 'message-id', 'subject']) assert.ok(names.includes(want), `${ctx}: no ${want}`);
  for (const n of names) {
    assert.ok(['from', 'to', 'cc', 'subject', 'date', 'in-reply-to', 'references', 'message-id', 'mime-version',
      'content-type', 'content-transfer-encoding'].includes(n), `${ctx}: a header callorder does not write: ${n}`);
  }
  return fields;
}

describe('review --mailback: mail headers', () => {
  let work: string;
  let tree: string;
  const saved = { cache: process.env.CALLORDER_ANALYSIS_CACHE, sde: process.env.SOURCE_DATE_EPOCH };

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-mail-'));
    tree = path.join(work, 'tree');
    fs.mkdirSync(tree);
    fs.copyFileSync(path.join(FIXTURE, 'widget.h'), path.join(tree, 'widget.h'));
    fs.writeFileSync(path.join(tree, 'w.c'), W_C);
    process.env.CALLORDER_ANALYSIS_CACHE = path.join(work, 'cache');
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
    if (saved.cache === undefined) delete process.env.CALLORDER_ANALYSIS_CACHE;
    else process.env.CALLORDER_ANALYSIS_CACHE = saved.cache;
    if (saved.sde === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved.sde;
  });

  /** review --mailback in this process: exit code, stdout, the InputError's message */
  async function mailback(input: Buffer, extra: Record<string, unknown> = {}): Promise<{ code: number; out: string; err: string }> {
    const file = path.join(work, 'p.mbox');
    fs.writeFileSync(file, input);
    const writes: string[] = [];
    // the command's output is handed to it: nothing of the process is swapped
    const io = { stdout: { write: (s: string) => writes.push(s) }, stderr: process.stderr, env: process.env, cwd: process.cwd() };
    try {
      const code = await review({ patch: file, tree, rules: PACK, mailback: true, jobs: 1, ...extra }, io);
      return { code, out: writes.join(''), err: '' };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return { code: 2, out: writes.join(''), err: e.message };
    }
  }

  it('the issue\'s case, through the CLI: a bare CR and a Bcc in the Subject stay in the Subject, encoded', () => {
    fs.writeFileSync(path.join(work, 'cr.mbox'), mail({ subject: '[PATCH] x\rBcc: victim@example.com' }));
    const r = spawnSync(process.execPath, [CLI, 'review', 'cr.mbox', '--tree', tree, '--rules', PACK, '--mailback'],
      { cwd: work, encoding: 'latin1', env: { ...process.env, CALLORDER_NO_SERVER: '1' } });
    assert.equal(r.status, 1, r.stderr);
    const heads = replies(r.stdout);
    assert.equal(heads.length, 1);
    const h = assertOneHeaderALine(heads[0], 'cr');
    assert.ok(!h.has('bcc'));
    assert.doesNotMatch(r.stdout.slice(0, r.stdout.indexOf('\n\n')), /\r/);
    assert.equal(decodeWords(h.get('subject')!), 'Re: [PATCH] x\rBcc: victim@example.com');
    // dated with the patch's own Date, in UTC
    assert.equal(h.get('date'), 'Mon, 6 Jan 2025 09:00:00 +0000');
  });

  it('a control character in an address or a message id is refused: one line, exit 2, nothing on stdout', async () => {
    for (const h of [
      { subject: '[PATCH] x', to: 'a@example.org\rBcc: victim@example.com' },
      { subject: '[PATCH] x', cc: 'b@example.org,\x0bc@example.org' },
      { subject: '[PATCH] x', from: 'Eve <eve@example.org>\rBcc: v@example.com' },
      { subject: '[PATCH] x', references: '<a@b>\r<c@d>' },
      { subject: '[PATCH] x', messageId: '<p1@example.org>\rBcc: v@example.com' },
    ]) {
      const r = await mailback(mail(h));
      assert.equal(r.code, 2, JSON.stringify(h));
      assert.equal(r.out, '', 'a reply is a mail or nothing');
      assert.match(r.err, /^.*p\.mbox:\d+: the [A-Za-z-]+: header has a control character.*: refused$/, r.err);
    }
  });

  it('bad input with --mailback: nothing on stdout (no body without headers, no local path)', async () => {
    const r = await mailback(Buffer.from('From x Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nthis is no header\n\nbody\n'));
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /malformed mail header/);
  });

  it('the email report names the base commit, the patch\'s date, and no Closes: link unless an archive is configured', async () => {
    const withBase = Buffer.concat([mail({ subject: '[PATCH] x' }), Buffer.from('base-commit: 0123456789abcdef0123456789abcdef01234567\n')]);
    const plain = await mailback(withBase);
    assert.equal(plain.code, 1, plain.err);
    assert.match(plain.out, /\ntree: {5}0123456789abcdef0123456789abcdef01234567\n/);
    assert.match(plain.out, /\ndate: {5}Mon, 6 Jan 2025 09:00:00 \+0000\n/);
    assert.match(plain.out, /\| Reported-by: callorder <callorder@localhost>\n/);
    assert.doesNotMatch(plain.out, /Closes:/);
    const closes = await mailback(withBase, { closesUrlBase: 'https://lore.example.org/r/' });
    assert.match(closes.out, /\n\| Closes: https:\/\/lore\.example\.org\/r\/callorder\.[0-9a-f]{16}@localhost\/\n/);
    // no git, no base-commit: the directory, said to be one; a patch with no Date: SOURCE_DATE_EPOCH
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    const nodate = await mailback(Buffer.from(mail({ subject: '[PATCH] x' }).toString('latin1').replace(/^Date: .*\n/m, ''), 'latin1'));
    assert.match(nodate.out, /\ntree: {5}tree \(no commit known\)\n/);
    assert.match(nodate.out, /\nDate: Tue, 14 Nov 2023 22:13:20 \+0000\n/);
    delete process.env.SOURCE_DATE_EPOCH;
  });

  it('check --format email: tree: is the HEAD commit and date: its commit date; outside git, SOURCE_DATE_EPOCH', () => {
    const repo = path.join(work, 'repo');
    fs.mkdirSync(repo);
    fs.copyFileSync(path.join(FIXTURE, 'widget.h'), path.join(repo, 'widget.h'));
    // the tree with the finding, so that the report has a body worth dating
    fs.writeFileSync(path.join(repo, 'w.c'), W_C.replace('\twidget_setup(w);\n\treturn widget_alloc_buffers(w);', '\tint r = widget_alloc_buffers(w);\n\twidget_setup(w);\n\treturn r;'));
    const env = { ...process.env, CALLORDER_NO_SERVER: '1', GIT_CONFIG_NOSYSTEM: '1', HOME: work,
      GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org',
      GIT_AUTHOR_DATE: '2024-02-29T13:05:09Z', GIT_COMMITTER_DATE: '2024-02-29T13:05:09Z', SOURCE_DATE_EPOCH: '1700000000' };
    const git = (...args: string[]) => spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' }).stdout.trim();
    const check = () => spawnSync(process.execPath, [CLI, 'check', repo, '--rules', PACK, '--format', 'email'], { env, encoding: 'utf8' });
    const outside = check();
    assert.equal(outside.status, 1, outside.stderr);
    assert.match(outside.stdout, /^tree: {5}repo \(no commit known\)\ndate: {5}Tue, 14 Nov 2023 22:13:20 \+0000\n/);
    git('init', '-q', '-b', 'master');
    git('add', '-A');
    git('commit', '-qm', 'base');
    const head = git('rev-parse', '--short', 'HEAD');
    const inGit = check();
    assert.equal(inGit.status, 1, inGit.stderr);
    assert.match(inGit.stdout, new RegExp(`^tree: {5}${head} \\("base"\\), work tree as found\\ndate: {5}Thu, 29 Feb 2024 13:05:09 \\+0000\\n`));
    assert.doesNotMatch(inGit.stdout, /Closes:/);
  });

  it('fuzz: control characters, encoded words, non-ASCII and folding in Subject, From, To and Cc: one header a line', async (t) => {
    const seed = Number(process.env.CALLORDER_MAIL_FUZZ_SEED ?? 19);
    const cases = Number(process.env.CALLORDER_MAIL_FUZZ_CASES ?? 600);
    const rng = new Prng(seed);
    const pieces = ['x', 'KVM: x86: ', '[PATCH v2 1/1] ', ' ', '  ', '\t', '=?', '?=', '=?UTF-8?q?caf=C3=A9?=', '=?utf-8?b?w6k=?=',
      '=?iso-8859-1?q?=E9?=', 'Bcc: v@example.com', ':', ',', '"', '<', '>', '(', ')', 'é', '日本', '😀', 'Re: ', 'a'.repeat(90)];
    const controls = ['\r', '\x0b', '\x0c', '\x1b[31m', '\x7f', '\x01', '\x08'];
    const text = (n: number, ctl: boolean) => {
      let s = '';
      for (let i = 0; i < n; i++) s += ctl && rng.chance(0.2) ? rng.pick(controls) : rng.pick(pieces);
      return s;
    };
    const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const address = (k: number) => {
      const addr = `u${k}@example.org`;
      switch (rng.int(4)) {
        case 0: return addr;
        case 1: return `${text(rng.range(1, 3), false).replace(/[<>,"()\t]/g, '')} <${addr}>`;
        case 2: return `"${text(rng.range(1, 3), false).replace(/["\\<>\t]/g, '')}" <${addr}>`;
        default: return `Name ${k} <${addr}>`;
      }
    };
    const list = () => Array.from({ length: rng.range(1, rng.chance(0.3) ? 40 : 3) }, (_, k) => address(k)).join(', ');
    let replied = 0;
    let refused = 0;
    for (let c = 0; c < cases; c++) {
      const subject = text(rng.range(1, rng.chance(0.2) ? 60 : 8), true);
      const h: Headers = { subject: utf8(subject), to: utf8(list()), ...(rng.chance(0.5) ? { cc: utf8(list()) } : {}), from: utf8(address(99)) };
      // now and then a control character in an address: refused, never written
      if (rng.chance(0.1)) h.to = `${h.to}${rng.pick(controls)}Bcc: victim@example.com`;
      if (rng.chance(0.1)) h.references = Array.from({ length: rng.range(1, 60) }, (_, k) => `<ref${k}.${'r'.repeat(rng.int(30))}@example.org>`).join(' ');
      const ctx = `seed ${seed} case ${c}: ${JSON.stringify(h)}`;
      const r = await mailback(mail(h));
      if (r.code === 2) {
        // only what cannot be written safely: a NUL ends the mail's reading, nothing else here should be refused
        assert.equal(r.out, '', ctx);
        assert.match(r.err, /control character|NUL byte/, `${ctx}: ${r.err}`);
        refused++;
        continue;
      }
      assert.equal(r.code, 1, `${ctx}: ${r.err}`);
      const heads = replies(r.out);
      assert.equal(heads.length, 1, ctx);
      const f = assertOneHeaderALine(heads[0], ctx);
      // the Subject says what the patch's said, whatever it held
      const want = decodeWords(utf8(subject).replace(/\s+$/, '').replace(/^\s+/, '')).replace(/^(?!re:)/i, 'Re: ');
      assert.equal(decodeWords(f.get('subject')!), want, ctx);
      replied++;
    }
    t.diagnostic(`seed ${seed}: ${cases} cases, ${replied} replies, ${refused} refused`);
    assert.ok(replied > cases / 2, 'most cases are replies');
  });
});
