// The resident server (server/server.ts, server/client.ts): a check it
// answers prints what a check in its own process prints, byte for byte, with
// the same exit code, for a cold tree, a warm one, an edited one and bad
// input; the client's working directory and environment are the run's; a
// killed server's socket is passed by and replaced; stop leaves no socket; a
// signal ends a waiting client with one line and 128+signo.
// Every test has a cache directory (and so a server) of its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { speedTree, SPEED_PACK, CLI } from '../source/speed-tree.fixture';

interface Run { status: number | null; stdout: string; stderr: string }

function withServer(fn: (cli: (args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; inProcess?: boolean }) => Run, tree: string, cache: string) => void): void {
  const tree = speedTree(12);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cache-'));
  const base: NodeJS.ProcessEnv = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache };
  delete base.CALLORDER_NO_SERVER;
  const cli = (args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; inProcess?: boolean } = {}): Run => {
    const env = { ...base, ...opts.env, ...(opts.inProcess ? { CALLORDER_NO_SERVER: '1' } : {}) };
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, cwd: opts.cwd, timeout: 120000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  try {
    fn(cli, tree, cache);
  } finally {
    cli(['server', 'stop']);
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

function served(cli: (args: string[]) => Run): number {
  const m = / (\d+) requests? served/.exec(cli(['server', 'status']).stdout);
  return m ? Number(m[1]) : -1;
}

test('server: a check it answers is the check a process of its own prints, cold, warm, edited and on bad input', () => {
  withServer((cli, tree) => {
    assert.match(cli(['server', 'status']).stdout, /^no server for this cache and build/);
    const start = cli(['server', 'start', '--idle', '120']);
    assert.equal(start.status, 0, start.stderr);
    assert.match(start.stdout, /^server pid \d+, listening on .*\.sock, .* 0 requests served/);
    const json = ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
    const text = ['check', tree, '--rules', SPEED_PACK];
    const same = (args: string[]) => {
      const viaServer = cli(args);
      const alone = cli(args, { inProcess: true });
      assert.deepEqual(viaServer, alone, args.join(' '));
      return viaServer;
    };
    // the first check is the server's cold one, the second its warm one
    const cold = same(json);
    assert.equal(cold.status, 1);
    assert.equal(JSON.parse(cold.stdout).findings.length, 1);
    same(json);
    // notes on stderr, findings on stdout
    const t = same(text);
    assert.match(t.stderr, /binary\.c:1:4: NUL byte/);
    // an edit: a new function appended
    fs.appendFileSync(path.join(tree, 'drv1', 'part1.c'), '\nint part1_extra(struct dev *d)\n{\n\treturn d->state;\n}\n');
    same(json);
    // bad input: one line, exit 2
    const bad = same(['check', path.join(tree, 'no-such-dir'), '--rules', SPEED_PACK]);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.split('\n').filter(Boolean).length, 1);
    assert.equal(served(cli), 5);
  });
});

test('server: the run has the client\'s working directory and environment', () => {
  withServer((cli, tree) => {
    assert.equal(cli(['server', 'start']).status, 0);
    const args = ['check', path.basename(tree), '--rules', SPEED_PACK, '--format', 'email'];
    // the tree is no git checkout: the report is dated from SOURCE_DATE_EPOCH, or the clock, which moves between the two runs
    const opts = { cwd: path.dirname(tree), env: { CALLORDER_REPORTER: 'Server Test <server@example.org>', SOURCE_DATE_EPOCH: '1796600000' } };
    const viaServer = cli(args, opts);
    assert.deepEqual(viaServer, cli(args, { ...opts, inProcess: true }));
    assert.match(viaServer.stdout, /Reported-by: Server Test <server@example\.org>/);
    assert.equal(served(cli), 1);
  });
});

test('server: a killed server\'s socket is passed by, and start replaces it; stop leaves none', () => {
  withServer((cli, tree, cache) => {
    assert.equal(cli(['server', 'start']).status, 0);
    const status = cli(['server', 'status']).stdout;
    const pid = Number(/^server pid (\d+)/.exec(status)![1]);
    const sock = /listening on (\S+\.sock),/.exec(status)![1];
    assert.ok(sock.startsWith(path.join(cache, 'server')));
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(pid); i++) spawnSync('sleep', ['0.05']);
    assert.ok(fs.existsSync(sock), 'a killed server leaves its socket');
    const args = ['check', tree, '--rules', SPEED_PACK, '--format', 'json'];
    assert.deepEqual(cli(args), cli(args, { inProcess: true }));
    assert.equal(cli(['server', 'start']).status, 0);
    assert.equal(served(cli), 0);
    const stop = cli(['server', 'stop']);
    assert.match(stop.stderr, /^callorder: stopped the server \(pid \d+\) after 0 requests\n$/);
    assert.ok(!fs.existsSync(sock));
    assert.match(cli(['server', 'status']).stdout, /^no server/);
  });
});

test('server: a signal to a client that waits on it ends the client as it would a run of its own; the server finishes the run', async () => {
  const tree = speedTree(150);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-cache-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CALLORDER_ANALYSIS_CACHE: cache };
  delete env.CALLORDER_NO_SERVER;
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
  try {
    assert.equal(cli(['server', 'start']).status, 0);
    // a cold check of 150 generated files: seconds in the server, the client waits
    const child = spawn(process.execPath, [CLI, 'check', tree, '--rules', SPEED_PACK, '--format', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGINT');
    assert.equal(await exit, 130);
    assert.equal(stderr, 'callorder: interrupted by SIGINT\n');
    // the server goes on, and answers the next check once that run is done
    let status = '';
    for (let i = 0; i < 600 && !/ 1 request served/.test(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = cli(['server', 'status']).stdout;
    }
    assert.match(status, / 1 request served/);
    const again = cli(['check', tree, '--rules', SPEED_PACK, '--format', 'json']);
    assert.equal(again.status, 1);
    assert.match(cli(['server', 'status']).stdout, / 2 requests served/);
  } finally {
    cli(['server', 'stop']);
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
