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
import { viaServer } from './client';
import { served, socketPath, type Reply, type Request } from './socket';

/** A stand-in server that answers every request with `replies` (then closes), while `fn` runs. */
async function standIn(replies: Reply[], fn: (got: Request[]) => Promise<void>): Promise<void> {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-client-'));
  const saved = { cache: process.env.CALLORDER_ANALYSIS_CACHE, off: process.env.CALLORDER_NO_SERVER };
  process.env.CALLORDER_ANALYSIS_CACHE = cache;
  delete process.env.CALLORDER_NO_SERVER;
  const sock = socketPath()!;
  fs.mkdirSync(path.dirname(sock), { recursive: true });
  const got: Request[] = [];
  const server = net.createServer((c) => {
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      if (!buf.includes('\n')) return;
      got.push(JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Request);
      for (const r of replies) c.write(`${JSON.stringify(r)}\n`);
      c.end();
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
    fs.mkdirSync(path.dirname(sock), { recursive: true });
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
