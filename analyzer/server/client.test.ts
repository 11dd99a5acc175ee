// The client's side of the server protocol, against a stand-in server on
// the socket this build would use: it writes what the server sends and returns
// its exit code; a busy server, a closed one that said nothing, and a
// command the server does not take run here (null); a server that goes away
// mid-run is one line and exit 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { viaServer, untrustedSocket, TAKE_MS } from './client';
import { served, socketPath, type Reply, type Request } from './socket';

/**
 * A stand-in server that answers every request with `replies` (then closes, or, with `hang`, says nothing more
 * and keeps the connection open, as a stopped server does), while `fn` runs.
 */
async function standIn(replies: Reply[], fn: (got: Request[]) => Promise<void>, opts: { hang?: boolean; dirMode?: number } = {}): Promise<void> {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-client-'));
  const saved = { cache: process.env.CALLORDER_ANALYSIS_CACHE, off: process.env.CALLORDER_NO_SERVER };
  process.env.CALLORDER_ANALYSIS_CACHE = cache;
  delete process.env.CALLORDER_NO_SERVER;
  const sock = socketPath()!;
  fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
  if (opts.dirMode !== undefined) fs.chmodSync(path.dirname(sock), opts.dirMode);
  const got: Request[] = [];
  const open: net.Socket[] = [];
  const server = net.createServer((c) => {
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      if (!buf.includes('\n')) return;
      got.push(JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Request);
      for (const r of replies) c.write(`${JSON.stringify(r)}\n`);
      if (opts.hang) open.push(c);
      else c.end();
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  const writes: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  try {
    // the client writes strings; the test runner's own reports (buffers) go through
    process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
      typeof s === 'string' ? (writes.push(`out:${s}`), true) : (out as (...a: unknown[]) => boolean).call(process.stdout, s, ...rest)) as typeof out;
    process.stderr.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
      typeof s === 'string' ? (writes.push(`err:${s}`), true) : (err as (...a: unknown[]) => boolean).call(process.stderr, s, ...rest)) as typeof err;
    await fn(got);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const c of open) c.destroy();
    await new Promise((r) => server.close(r));
    fs.rmSync(cache, { recursive: true, force: true });
    if (saved.cache === undefined) delete process.env.CALLORDER_ANALYSIS_CACHE;
    else process.env.CALLORDER_ANALYSIS_CACHE = saved.cache;
    if (saved.off !== undefined) process.env.CALLORDER_NO_SERVER = saved.off;
  }
  replies.length = 0;
  replies.push(...(writes as unknown as Reply[]));
}

test('client: what the server sends is written, and its exit code returned; the request is the client\'s', async () => {
  const replies: Reply[] = [{ out: 'finding\n' }, { err: 'note\n' }, { exit: 1 }];
  await standIn(replies, async (got) => {
    assert.equal(await viaServer(['check', 'linux', '--format', 'json']), 1);
    assert.deepEqual(got.map((r) => r.argv), [['check', 'linux', '--format', 'json']]);
    assert.equal(got[0].cwd, process.cwd());
    assert.equal(got[0].env.CALLORDER_ANALYSIS_CACHE, process.env.CALLORDER_ANALYSIS_CACHE);
  });
  assert.deepEqual(replies, ['out:finding\n', 'err:note\n']);
});

test('client: a busy server, a server that closes having said nothing, and commands it does not take: run here', async () => {
  await standIn([{ busy: true }], async () => {
    assert.equal(await viaServer(['hook', 'run']), null);
  });
  await standIn([], async (got) => {
    assert.equal(await viaServer(['check']), null);
    // review reads stdin, --help is this process's
    assert.equal(await viaServer(['review', '-']), null);
    assert.equal(await viaServer(['check', '--help']), null);
    assert.equal(got.length, 1);
  });
  assert.ok(served(['check', 'x']) && served(['hook', 'run']));
  assert.ok(!served(['hook', 'install']) && !served(['stats']) && !served(['check', '-']) && !served(['check', '--fetch', '6.12']));
});

test('client: a server that goes away mid-run is one line and exit 2', async () => {
  const replies: Reply[] = [{ out: 'half' }];
  await standIn(replies, async () => {
    assert.equal(await viaServer(['check']), 2);
  });
  assert.deepEqual(replies, ['out:half', 'err:callorder: the server went away during the run; run again (CALLORDER_NO_SERVER=1: without it)\n']);
});

test('client: no server listening, or CALLORDER_NO_SERVER: null at once', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-client-'));
  const saved = process.env.CALLORDER_ANALYSIS_CACHE;
  process.env.CALLORDER_ANALYSIS_CACHE = cache;
  try {
    assert.equal(await viaServer(['check']), null);
    // a socket file nobody listens on (a killed server's)
    const sock = socketPath()!;
    fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(sock, r));
    await new Promise((r) => s.close(r));
    fs.writeFileSync(sock, '');
    assert.equal(await viaServer(['check']), null);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
    if (saved === undefined) delete process.env.CALLORDER_ANALYSIS_CACHE;
    else process.env.CALLORDER_ANALYSIS_CACHE = saved;
  }
});

// issue 19.2: the client had no connect or reply timeout, so a stopped server (Ctrl-Z on `server run`) hung every commit
test('client: a server that takes nothing within a second is passed by with a note, and the command runs here', async () => {
  const replies: Reply[] = [];
  const t0 = Date.now();
  await standIn(replies, async (got) => {
    assert.equal(await viaServer(['check']), null);
    assert.equal(got.length, 1);
  }, { hang: true });
  const took = Date.now() - t0;
  assert.ok(took >= TAKE_MS && took < TAKE_MS + 2000, `${took} ms`);
  assert.deepEqual(replies, ['err:callorder: the server did not take the request within 1 s (stopped, or busy in a run); running here (CALLORDER_NO_SERVER=1: never ask it)\n']);
});

test('client: a server stopped during a run is given up on: run here while it has written nothing, else one line and exit 2', async () => {
  // a stopped process stands for the server: /proc says it is stopped
  const stoppedChild = spawn('sleep', ['30']);
  try {
    process.kill(stoppedChild.pid!, 'SIGSTOP');
    const quiet: Reply[] = [{ taken: stoppedChild.pid! }];
    await standIn(quiet, async () => {
      assert.equal(await viaServer(['check']), null);
    }, { hang: true });
    assert.deepEqual(quiet, [`err:callorder: the server (pid ${stoppedChild.pid}) is stopped; running here (CALLORDER_NO_SERVER=1: never ask it)\n`]);
    const half: Reply[] = [{ taken: stoppedChild.pid! }, { out: 'half' }];
    await standIn(half, async () => {
      assert.equal(await viaServer(['check']), 2);
    }, { hang: true });
    assert.deepEqual(half, ['out:half', `err:callorder: the server (pid ${stoppedChild.pid}) is stopped during the run; run again (CALLORDER_NO_SERVER=1: without it)\n`]);
    // one that is alive and at work is waited for
    const alive: Reply[] = [{ taken: process.pid }, { alive: true }, { out: 'done\n' }, { exit: 0 }];
    await standIn(alive, async () => {
      assert.equal(await viaServer(['check']), 0);
    });
    assert.deepEqual(alive, ['out:done\n']);
  } finally {
    stoppedChild.kill('SIGKILL');
  }
});

// issue 19.3: the client never checked whose the socket was; a shared or world-writable cache let another user answer
test('client: a server directory open to others is refused with one line, and nothing is sent', async () => {
  const replies: Reply[] = [{ out: 'forged clean\n' }, { exit: 0 }];
  await standIn(replies, async (got) => {
    assert.equal(await viaServer(['check']), null);
    assert.equal(got.length, 0, 'the environment is not sent');
    assert.match(untrustedSocket(socketPath()!) ?? '', /server is open to others \(mode 777\), not 0700$/);
  }, { dirMode: 0o777 });
  assert.equal(replies.length, 1);
  assert.match(String(replies[0]), /^err:callorder: not asking the server: .*server is open to others \(mode 777\), not 0700; running here\n$/);
});
