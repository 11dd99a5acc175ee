// `callorder bot` end to end on real parts: a public-inbox v2 archive made and
// filled by public-inbox's own tools, SQLite on disk, a maildir outbox and a
// sendmail-compatible command, and a patchwork stand-in on 127.0.0.1 that
// records the checks requests. The archive holds v1 and v2 of a series
// (only v2 adds a hazard), an unrelated patch, a hostile one and a reply
// thread.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { Archive, ensurePublicInbox, makeSeries, git, ROOT, type Series } from './archive.fixture';
import { FakePatchwork } from './patchwork.fixture';

const CLI = path.join(ROOT, 'bin', 'callorder');
const TOKEN = 'test-token-1234';

describe('bot: a real public-inbox archive, reviewed once, answered in the outbox and patchwork', () => {
  let work: string;
  let tree: string;
  let pack: string;
  let series: Record<string, Series>;
  let archive: Archive;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-bot-'));
    ensurePublicInbox();
    const made = makeSeries(work);
    ({ tree, pack, series } = made);
    archive = new Archive(work);
    for (const m of series.v1.mails) archive.deliver(m);
    for (const m of made.replies) archive.deliver(m);
    for (const m of series.docs.mails) archive.deliver(m);
    for (const m of series.v2.mails) archive.deliver(m);
    for (const m of series.hostile.mails) archive.deliver(m);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  function setup(name: string, pw: FakePatchwork, outbox: object = { maildir: 'outbox' }): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    const cfg = path.join(dir, 'bot.json');
    fs.writeFileSync(cfg, JSON.stringify({
      inbox: archive.dir, tree, rules: pack, state: 'state.sqlite', branch: 'master', workers: 2, pollSeconds: 0.2, startFrom: 'beginning',
      outbox, patchwork: { url: pw.url, token: TOKEN, project: 'kvm' }, reporter: 'callorder bot <bot@example.org>',
      targetUrl: 'http://127.0.0.1/status.html',
    }, null, 1));
    return cfg;
  }

  // not spawnSync: the patchwork stand-in answers from this process's event loop
  function bot(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const c = spawn(process.execPath, [CLI, 'bot', ...args], { cwd: work, timeout: 120_000 });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
      c.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      c.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const db = (file: string) => new Database(file, { readonly: true, fileMustExist: true });

  /** the outbox's mails by file name, their Date line left out (it is the time of the review) */
  function outbox(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    const nd = path.join(dir, 'new');
    if (!fs.existsSync(nd)) return out;
    for (const n of fs.readdirSync(nd).sort()) out.set(n, fs.readFileSync(path.join(nd, n), 'utf8').replace(/^Date: .*\n/m, ''));
    return out;
  }

  /** each POSTed check as "patch Message-ID state description" */
  function checks(pw: FakePatchwork): string[] {
    const byId = new Map<number, string>();
    for (const s of Object.values(series)) for (const m of s.patches) byId.set(pw.idOf(m)!, m);
    return pw.received.map((r) => {
      assert.equal(r.method, 'POST');
      assert.equal(r.authorization, `Token ${TOKEN}`);
      assert.equal(r.body!.context, 'callorder');
      assert.equal(r.body!.target_url, 'http://127.0.0.1/status.html');
      return `${byId.get(Number(/patches\/(\d+)\//.exec(r.path)![1]))} ${String(r.body!.state)} ${String(r.body!.description)}`;
    }).sort();
  }

  async function patchwork(): Promise<FakePatchwork> {
    const pw = new FakePatchwork();
    pw.know(Object.values(series).flatMap((s) => s.patches));
    await pw.start();
    return pw;
  }

  let clean: { outbox: Map<string, string>; checks: string[] };

  it('reviews v2 once: one reply to its second patch, one warning check; v1 superseded, the unrelated patch skipped, the hostile one failed with its reason', async () => {
    const pw = await patchwork();
    try {
      const cfg = setup('clean', pw);
      const r = await bot(['run', '--config', cfg, '--once']);
      assert.equal(r.code, 0, r.stderr);
      const d = db(path.join(work, 'clean', 'state.sqlite'));
      const rows = d.prepare('SELECT id, status, reason, base, findings FROM series ORDER BY id').all() as
        { id: string; status: string; reason: string | null; base: string | null; findings: number | null }[];
      const msgs = (d.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
      d.close();
      const of = (s: Series) => rows.find((x) => x.id.endsWith(` v${s.name === 'v2' ? 2 : 1}`) && x.id.startsWith(s.mails[0].match(/^Message-I[dD]: (\S+)$/m)![1]));
      assert.equal(rows.length, 4, JSON.stringify(rows));
      assert.equal(msgs, 2 * 3 + 2 + 1 + 1, 'every message of the archive read once: two series of three, two replies, two patches');
      const master = git(tree, 'rev-parse', 'master').trim();
      assert.deepEqual(of(series.v1), { ...of(series.v1)!, status: 'skipped', reason: 'superseded by v2' });
      assert.deepEqual(of(series.v2), { ...of(series.v2)!, status: 'reviewed', findings: 1, base: `base-commit ${master}` });
      assert.equal(of(series.docs)!.status, 'skipped');
      assert.match(of(series.docs)!.reason!, /^touches none of the pack's files \(Documentation\/kvm\.rst\)$/);
      assert.equal(of(series.hostile)!.status, 'failed');
      assert.match(of(series.hostile)!.reason!, /^<stdin>:\d+: the patch makes "arch\/x86\/kvm\/lnk" a symbolic link: refused$/);
      assert.equal(of(series.hostile)!.base, `base-commit 0123456789abcdef0123456789abcdef01234567 is not in the tree: master at ${master.slice(0, 12)}`);

      const mails = outbox(path.join(work, 'clean', 'outbox'));
      assert.equal(mails.size, 1, [...mails.values()].join('\n----\n'));
      const mail = [...mails.values()][0];
      const raw = fs.readFileSync(path.join(work, 'clean', 'outbox', 'new', [...mails.keys()][0]), 'utf8');
      assert.match(raw, /^From: callorder bot <bot@example\.org>\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\n/);
      assert.ok(mail.includes(`\nIn-Reply-To: ${series.v2.patches[1]}\n`), mail);
      // headers are folded at 78 characters (report/header.ts): read them unfolded
      assert.match(mail.replace(/\r?\n[ \t]+/g, ' '), /^References: .*<cover\.[^ ]+> /m);
      assert.match(mail, /^Subject: Re: \[PATCH v2 2\/2\] KVM: x86: size the MMU at vCPU creation$/m);
      // the report names the base it was reviewed on as its tree (report/email.ts)
      assert.match(mail, new RegExp(`^tree: +${master}$`, 'm'));
      assert.match(mail, /^>> arch\/x86\/kvm\/kvm_host\.h:\d+ cpuid_maxphyaddr\(\) warn: .*\[cpuid-state-before-read\]$/m);

      clean = { outbox: mails, checks: checks(pw) };
      const [p1, p2] = series.v2.patches;
      assert.deepEqual(clean.checks, [
        `${p1} success no new call-ordering warnings`,
        `${p2} warning 1 new call-ordering warning: cpuid_maxphyaddr(): kvm_vcpu_arch.maxphyaddr is read before it is initialised (zero is not a valid value) on the path from kvm_arch_vcpu_create [cpuid-state-before-read]`,
        `${series.hostile.patches[0]} fail callorder could not review the series: ${of(series.hostile)!.reason}`,
      ].sort());

      // a second run over the same state: nothing new in the archive, nothing reviewed or sent again
      const again = await bot(['run', '--config', cfg, '--once']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stderr, '');
      assert.deepEqual(outbox(path.join(work, 'clean', 'outbox')), mails);
      assert.equal(pw.received.length, 3);
    } finally {
      await pw.stop();
    }
  });

  it('kill -9 at moments of a run, then a restart: the same outbox and checks, nothing twice', async (t) => {
    assert.ok(clean, 'the clean run ran first');
    const pw = await patchwork();
    try {
      const cfg = setup('killed', pw);
      const stateFile = path.join(work, 'killed', 'state.sqlite');
      const seen: string[] = [];
      // patchwork stores the first check it is sent and never answers: the last kill comes then
      pw.hold(1);
      // each kill waits for a later point of the work: a series under review, a verdict, a check patchwork has
      const points: [string, () => Promise<boolean>][] = [
        ['a series under review', () => waitFor(stateFile, `SELECT 1 FROM series WHERE status = 'queued'`, 30_000)],
        ['a verdict recorded', () => waitFor(stateFile, `SELECT 1 FROM series WHERE status IN ('reviewed', 'failed')`, 30_000)],
        ['a check stored by patchwork, its answer not back', () => Promise.race([pw.held.then(() => true), sleep(30_000).then(() => false)])],
      ];
      for (const [what, reached] of points) {
        const c = spawn(process.execPath, [CLI, 'bot', 'run', '--config', cfg], { cwd: work, stdio: 'ignore' });
        const hit = await reached();
        const snapshot = counts(stateFile);
        await kill9(c);
        seen.push(`${what}: ${hit ? 'killed at' : 'not reached'} ${snapshot}`);
      }
      t.diagnostic(seen.join('; '));
      assert.ok(seen[2].includes('killed at'), seen.join('\n'));
      const r = await bot(['run', '--config', cfg, '--once']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(outbox(path.join(work, 'killed', 'outbox')), clean.outbox);
      assert.deepEqual(checks(pw), clean.checks);
      const d = db(stateFile);
      const unsent = (d.prepare(`SELECT COUNT(*) AS n FROM reports WHERE state != 'sent'`).get() as { n: number }).n;
      d.close();
      assert.equal(unsent, 0);
    } finally {
      await pw.stop();
    }
  });

  it('SIGTERM during a review: one line, exit 143, no review left running, and the next run finishes the work', async () => {
    const pw = await patchwork();
    try {
      const cfg = setup('term', pw);
      const stateFile = path.join(work, 'term', 'state.sqlite');
      const c = spawn(process.execPath, [CLI, 'bot', 'run', '--config', cfg], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      assert.ok(await waitFor(stateFile, `SELECT 1 FROM series WHERE status = 'queued'`, 30_000));
      // a review child of this bot, running on the unpacked base
      const reviews = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
          const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
          return cmd.includes('\0review\0') && cmd.includes(path.join(work, 'term'));
        } catch {
          return false;
        }
      });
      for (let i = 0; i < 3000 && !reviews().length; i++) await sleep(10);
      assert.ok(reviews().length, 'a review is running when the bot is told to stop');
      const code = await new Promise<number | null>((r) => {
        c.on('close', (x) => r(x));
        c.kill('SIGTERM');
      });
      assert.equal(code, 143);
      assert.equal(stderr.split('\n').filter((l) => /SIGTERM/.test(l)).length, 1, stderr);
      // SIGKILL is delivered, not waited for: give the killed reviews a moment to be gone
      for (let i = 0; i < 100 && reviews().length; i++) await sleep(10);
      assert.deepEqual(reviews(), []);
      const r = await bot(['run', '--config', cfg, '--once']);
      assert.equal(r.code, 0, r.stderr);
      const d = db(stateFile);
      const verdicts = JSON.stringify(d.prepare('SELECT status, reason FROM series ORDER BY id').all());
      d.close();
      assert.deepEqual(outbox(path.join(work, 'term', 'outbox')), clean.outbox, `${verdicts}\n${stderr}\n${r.stderr}`);
      assert.deepEqual(checks(pw), clean.checks);
    } finally {
      await pw.stop();
    }
  });

  it('--workers 1: never two reviews at once', async () => {
    const pw = await patchwork();
    try {
      const cfg = setup('one', pw);
      const mine = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
          const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
          return cmd.includes('\0review\0') && cmd.includes(path.join(work, 'one'));
        } catch {
          return false;
        }
      }).length;
      let most = 0;
      let seen = 0;
      const run = bot(['run', '--config', cfg, '--once', '--workers', '1']);
      let done = false;
      void run.then(() => (done = true));
      while (!done) {
        const n = mine();
        if (n) seen++;
        most = Math.max(most, n);
        await sleep(5);
      }
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(seen > 0, 'the reviews were seen running');
      assert.equal(most, 1, 'two series to review (v2 and the hostile one), one at a time');
    } finally {
      await pw.stop();
    }
  });

  it('a new state starts at the end of the archive: what it held is taken as seen, what arrives after is read and decided', async () => {
    const late = new Archive(work, 'late');
    for (const m of series.v2.mails) late.deliver(m);
    const dir = path.join(work, 'late-bot');
    fs.mkdirSync(dir);
    const cfg = path.join(dir, 'bot.json');
    fs.writeFileSync(cfg, JSON.stringify({ inbox: late.dir, tree, rules: pack, state: 'state.sqlite', branch: 'master' }));
    const rows = () => {
      const d = db(path.join(dir, 'state.sqlite'));
      try {
        return d.prepare('SELECT reason FROM series').all() as { reason: string }[];
      } finally {
        d.close();
      }
    };
    let r = await bot(['run', '--config', cfg, '--once']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows(), [], 'v2, there before the first run, is not reviewed');
    for (const m of series.docs.mails) late.deliver(m);
    r = await bot(['run', '--config', cfg, '--once']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows().map((x) => x.reason), ["touches none of the pack's files (Documentation/kvm.rst)"]);
  });

  it('status: counts, failures with their reason, the last message; --html the same as a page', async () => {
    const st = path.join(work, 'clean', 'state.sqlite');
    const r = await bot(['status', '--state', st]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^series: 0 waiting, 0 queued, 1 reviewed, 2 skipped, 1 failed$/m);
    assert.match(r.stdout, /^reports not yet sent: 0$/m);
    assert.match(r.stdout, /^ {2}\[PATCH 0\/1\] KVM: x86: a link out of the tree {2}<stdin>:\d+: the patch makes "arch\/x86\/kvm\/lnk" a symbolic link: refused$/m);
    const last = series.hostile.mails[series.hostile.mails.length - 1].match(/^Message-I[dD]: (\S+)$/m)![1];
    assert.ok(r.stdout.includes(`last message: ${last} `), r.stdout);
    const html = path.join(work, 'status.html');
    const h = await bot(['status', '--state', st, '--html', html]);
    assert.equal(h.code, 0, h.stderr);
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /^<!DOCTYPE html>/);
    assert.ok(page.includes('the patch makes &#34;arch/x86/kvm/lnk&#34; a symbolic link: refused'), page);
    assert.ok(page.includes(`${last.replace(/</g, '&#60;').replace(/>/g, '&#62;')}`), 'the last message, escaped');
    const bad = await bot(['status', '--state', path.join(work, 'nothing.sqlite')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^callorder: .*nothing\.sqlite: no bot state there\n$/);
  });

  it('reads the archive from where it stopped, and hands replies to a sendmail-compatible command', async () => {
    const pw = await patchwork();
    try {
      // the sendmail interface (-i -t, the mail on stdin) writing each mail it takes into a maildir of its own
      const sent = path.join(work, 'sent');
      for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(sent, d), { recursive: true });
      const sendmail = path.join(work, 'fake-sendmail');
      fs.writeFileSync(sendmail, `#!/bin/sh\n[ "$1 $2" = "-i -t" ] || exit 64\nf=$(mktemp "${sent}/tmp/m.XXXXXX") && cat > "$f" && mv "$f" "${sent}/new/"\n`, { mode: 0o755 });
      const cfg = setup('sendmail', pw, { sendmail: [sendmail, '-i', '-t'] });
      const stateFile = path.join(work, 'sendmail', 'state.sqlite');
      // an archive with v1 alone first: v1 is reviewed (nothing supersedes it yet) and says nothing
      const early = new Archive(work, 'early');
      for (const m of series.v1.mails) early.deliver(m);
      const cfgEarly = JSON.parse(fs.readFileSync(cfg, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(cfg, JSON.stringify({ ...cfgEarly, inbox: early.dir }));
      let r = await bot(['run', '--config', cfg, '--once']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(fs.readdirSync(path.join(sent, 'new')), []);
      const d1 = db(stateFile);
      const msgs1 = (d1.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
      d1.close();
      assert.equal(msgs1, 3);
      // then v2 arrives, before patchwork has it: its checks wait, with the reason
      pw.forget(series.v2.patches);
      for (const m of series.v2.mails) early.deliver(m);
      r = await bot(['run', '--config', cfg, '--once']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stderr.includes(`callorder bot: check for ${series.v2.patches[1]}: patchwork has no patch ${series.v2.patches[1]} yet\n`), r.stderr);
      const st1 = await bot(['status', '--state', stateFile]);
      assert.match(st1.stdout, /^reports not yet sent: 2$/m);
      pw.know(series.v2.patches);
      fs.writeFileSync(cfg, JSON.stringify({ ...cfgEarly, inbox: early.dir, retrySeconds: 0 }));
      r = await bot(['run', '--config', cfg, '--once']);
      assert.equal(r.code, 0, r.stderr);
      const d2 = db(stateFile);
      const msgs2 = (d2.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
      const st = d2.prepare('SELECT status FROM series ORDER BY version').all() as { status: string }[];
      d2.close();
      assert.equal(msgs2, 6, 'the three new messages, none again');
      assert.deepEqual(st.map((x) => x.status), ['reviewed', 'reviewed'], 'v1 reviewed before v2 came stays reviewed');
      const got = fs.readdirSync(path.join(sent, 'new'));
      assert.equal(got.length, 1);
      const mail = fs.readFileSync(path.join(sent, 'new', got[0]), 'utf8');
      assert.ok(mail.includes(`\nIn-Reply-To: ${series.v2.patches[1]}\n`), mail);
      assert.match(mail, /^From: callorder bot <bot@example\.org>\nDate: /);
      assert.equal(pw.received.filter((x) => x.body?.state === 'success').length, 3, 'v1 twice, v2 1/2 once');
    } finally {
      await pw.stop();
    }
  });
});

function counts(file: string): string {
  try {
    const d = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const s = d.prepare('SELECT status, COUNT(*) AS n FROM series GROUP BY status ORDER BY status').all() as { status: string; n: number }[];
      const r = d.prepare('SELECT state, COUNT(*) AS n FROM reports GROUP BY state ORDER BY state').all() as { state: string; n: number }[];
      return `(series ${s.map((x) => `${x.n} ${x.status}`).join(', ')}; reports ${r.map((x) => `${x.n} ${x.state}`).join(', ') || 'none'})`;
    } finally {
      d.close();
    }
  } catch {
    return '(no state yet)';
  }
}

/** polls the state every 10 ms until `sql` finds a row; false when it never does within `ms` */
async function waitFor(file: string, sql: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const d = new Database(file, { readonly: true, fileMustExist: true });
      try {
        if (d.prepare(sql).get() !== undefined) return true;
      } finally {
        d.close();
      }
    } catch {
      // not made yet, or its tables not yet: ask again
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function kill9(c: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.on('close', () => r());
    c.kill('SIGKILL');
  });
}
