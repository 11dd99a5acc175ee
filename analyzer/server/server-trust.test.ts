// The resident server under abuse (issue 19, items 2, 3 and 7): a server
// stopped with SIGSTOP (Ctrl-Z on `server run`) before or during a run is
// passed by with a note and the check runs in its own process, with the
// output a check of its own prints; another user's server on a shared cache
// (a second uid, created here with useradd when the test runs as root) is
// refused with one line, never sent the environment, and its forged "clean"
// answer never taken; `server start` on a cache that cannot be written or on
// another user's server directory is one line and exit 2, never a stack trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { speedTree, SPEED_PACK, CLI } from '../source/speed-tree.fixture';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Run { status: number | null; stdout: string; stderr: string }

function env(cache: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache };
  delete e.CALLORDER_NO_SERVER;
  return e;
}

function cli(args: string[], e: NodeJS.ProcessEnv, inProcess = false): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: inProcess ? { ...e, CALLORDER_NO_SERVER: '1' } : e, timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noStack(r: Run): void {
  assert.deepEqual(r.stderr.split('\n').filter((l) => /^\s+at /.test(l)), [], r.stderr);
  assert.doesNotMatch(r.stderr, /internal error/);
}

test('server: a stopped server is passed by with a note, before a run and during one; the check is the one a process of its own prints', async () => {
  const tree = speedTree(150);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cache-'));
  const e = env(cache);
  const args = ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
  let pid = 0;
  try {
    const alone = cli(args, e, true);
    assert.equal(alone.status, 1, alone.stderr);
    // a warm server, then stopped as Ctrl-Z on `server run` would stop it
    assert.equal(cli(['server', 'start'], e).status, 0);
    pid = Number(/^server pid (\d+)/.exec(cli(['server', 'status'], e).stdout)![1]);
    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    const passed = cli(args, e);
    assert.ok(Date.now() - t0 < 30000, 'no hang');
    assert.equal(passed.status, alone.status);
    assert.equal(passed.stdout, alone.stdout);
    assert.equal(passed.stderr, `callorder: the server did not take the request within 1 s (stopped, or busy in a run); running here (CALLORDER_NO_SERVER=1: never ask it)\n${alone.stderr}`);
    assert.match(cli(['server', 'status'], e).stdout, /^a server listens on .* but did not answer within 1 s/);
    process.kill(pid, 'SIGCONT');

    // stopped during a run: the server took a cold check (the cache cleared) and stops before it has written anything
    assert.equal(cli(['cache', 'clear'], e).status, 0);
    const child = spawn(process.execPath, [CLI, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 600));
    process.kill(pid, 'SIGSTOP');
    assert.equal(await exit, alone.status, err);
    assert.equal(out, alone.stdout);
    assert.equal(err, `callorder: the server (pid ${pid}) is stopped; running here (CALLORDER_NO_SERVER=1: never ask it)\n${alone.stderr}`);
  } finally {
    // the server this test started, stopped mid-run: ended by its pid, and gone before its cache is removed
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
        for (let i = 0; i < 100; i++) {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 50));
        }
      } catch { /* gone */ }
    }
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('server: start on a cache that cannot be written is one line and exit 2; check there notes it once and runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cache-'));
  const tree = speedTree(3);
  try {
    // a file where the cache directory should be: every write fails (ENOTDIR), for root too
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, '');
    const e = env(file);
    const start = cli(['server', 'start'], e);
    noStack(start);
    assert.equal(start.status, 2);
    assert.match(start.stderr, /^callorder: cannot make the server's directory .*not-a-dir\/server \(ENOTDIR\): is the cache writable\?\n$/);
    const args = ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
    const c = cli(args, e);
    noStack(c);
    assert.equal(c.status, 1);
    assert.equal(c.stdout, cli(args, env(path.join(dir, 'good'))).stdout);
    const lines = c.stderr.split('\n').filter((l) => l.includes('cannot write the cache'));
    assert.equal(lines.length, 1, c.stderr);
    assert.match(lines[0], /^callorder: cannot write the cache at .*not-a-dir \(ENOTDIR\): this run is not cached/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tree, { recursive: true, force: true });
  }
});

test('server: a cache write that fails after its answer is told to the next client, once', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cache-'));
  const tree = speedTree(3);
  const e = env(cache);
  try {
    // the server's directory can be made; no entry can be written (each kind's directory is a file)
    for (const kind of ['facts', 'skeleton', 'results', 'last', 'source']) fs.writeFileSync(path.join(cache, kind), '');
    assert.equal(cli(['server', 'start'], e).status, 0);
    const args = ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
    const first = cli(args, e);
    assert.equal(first.status, 1, first.stderr);
    assert.doesNotMatch(first.stderr, /cannot write the cache/, 'its writes come after its answer');
    const second = cli(args, e);
    assert.equal(second.status, 1);
    assert.equal(second.stdout, first.stdout);
    assert.equal(second.stderr.split('\n').filter((l) => /^callorder: cannot write the cache at .* \(ENOTDIR\)/.test(l)).length, 1, second.stderr);
  } finally {
    cli(['server', 'stop'], e);
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasUseradd = spawnSync('sh', ['-c', 'command -v useradd && command -v userdel && command -v runuser'], { encoding: 'utf8' }).status === 0;

test('server: another user\'s server on a shared cache is refused with one line; its forged answer is never taken',
  { skip: !isRoot ? 'needs root to create a second uid (useradd) to run the other server as' : !hasUseradd ? 'useradd, userdel or runuser is missing' : false },
  async () => {
    const user = `cotest${process.pid % 100000}`;
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-shared-'));
    fs.chmodSync(shared, 0o1777);
    const tree = speedTree(3);
    const e = env(shared);
    const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    let forger: ReturnType<typeof spawn> | undefined;
    let forgerPid = 0;
    try {
      const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
      // the other user's server: the socket path is computable from readable files; it answers "clean" to anything
      const script = `
        const fs = require('fs'), net = require('net'), path = require('path');
        const sock = require(${JSON.stringify(path.join(ROOT, 'dist', 'analyzer', 'server', 'socket.js'))}).socketPath();
        fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
        let asked = 0;
        net.createServer((c) => c.once('data', () => {
          asked++;
          fs.writeFileSync(path.join(path.dirname(sock), 'asked'), String(asked));
          c.end(JSON.stringify({ taken: process.pid }) + '\\n' + JSON.stringify({ exit: 0 }) + '\\n');
        })).listen(sock, () => process.stdout.write('ready ' + process.pid + '\\n'));`;
      forger = spawn('runuser', ['-u', user, '--', process.execPath, '-e', script], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
      let said = '';
      forger.stderr!.on('data', (d: Buffer) => (said += d.toString()));
      forgerPid = await new Promise<number>((resolve, reject) => {
        forger!.stdout!.once('data', (d: Buffer) => resolve(Number(/ready (\d+)/.exec(d.toString())![1])));
        forger!.once('exit', (code) => reject(new Error(`the other user's server exited ${code}: ${said}`)));
      });
      const serverDir = path.join(shared, 'server');
      assert.equal(fs.statSync(serverDir).uid, uid);

      const args = ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
      const alone = cli(args, e, true);
      const asked = cli(args, e);
      assert.equal(asked.status, 1, 'the real finding, not the forged exit 0');
      assert.equal(asked.stdout, alone.stdout);
      assert.equal(asked.stderr, `callorder: not asking the server: ${serverDir} belongs to uid ${uid}, not to you (uid 0); running here\n${alone.stderr}`);
      assert.equal(fs.existsSync(path.join(serverDir, 'asked')), false, 'nothing was sent to it, the environment least of all');
      // start, status and stop neither ask it, replace it nor end it; no stack trace (spawn EACCES was one)
      for (const action of ['start', 'status', 'stop']) {
        const r = cli(['server', action], e);
        noStack(r);
        assert.equal(r.status, 2, `${action}: ${r.stderr}`);
        assert.equal(r.stderr, `callorder: not this user's server: ${serverDir} belongs to uid ${uid}, not to you (uid 0)\n`);
      }
      assert.doesNotThrow(() => process.kill(forgerPid, 0), 'its server is left alone');
    } finally {
      // runuser forks: the other user's node is ended by its own pid, then runuser
      if (forgerPid) {
        try {
          process.kill(forgerPid, 'SIGKILL');
        } catch { /* gone */ }
      }
      if (forger && forger.exitCode === null) {
        const gone = new Promise((r) => forger!.once('exit', r));
        forger.kill('SIGKILL');
        await gone;
      }
      spawnSync('userdel', [user]);
      fs.rmSync(shared, { recursive: true, force: true });
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
