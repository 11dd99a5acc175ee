// `callorder server`: one resident process per cache and build that answers
// `check` and `hook run` (server/client.ts hands them over) with the facts
// of the files it has read kept in memory and its code already compiled.
// A run in it is the same run as in a fresh process: the same command code,
// the client's working directory and environment (GIT_INDEX_FILE in a hook),
// the same bytes out and the same exit code. What it saves is Node's start,
// loading the modules, V8's warm-up and reading the cache's facts back.
// One run at a time: a client that finds it busy runs in its own process.
// It exits after --idle seconds without a request, and at the first change
// to the compiled analyzer under it (a rebuild).

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { analyzerDir, socketPath, HEARTBEAT_MS, type Control, type Reply, type Request, type ServerStatus } from './socket';
import { control, untrustedSocket, TAKE_MS } from './client';
import { flushCacheWrites, holdCacheWrites } from '../driver/analyze';
import { cacheRoot, cacheWritesAfterAnswer, pendingCacheNote, resetCacheFailures } from '../cache/store';
import { STAMP } from '../cache/code-id';
import { log } from '../commands/common';
import { UsageError } from '../util/errors';

interface ServerArgs {
  action: string;
  idle?: number;
}

const DEFAULT_IDLE = 900;
const START_WAIT_MS = 15000;

export async function serverCmd(a: ServerArgs): Promise<number> {
  const sock = socketPath();
  if (!sock) throw new UsageError(`the cache directory's path is too long for a socket: ${cacheRoot()}`);
  const idle = a.idle ?? DEFAULT_IDLE;
  if (!(idle > 0)) throw new UsageError(`--idle takes a number of seconds above 0, not ${a.idle}`);
  // another user's socket or directory is neither asked, stopped nor replaced
  const why = untrustedSocket(sock) ?? untrustedDir(path.dirname(sock));
  if (why) throw new UsageError(`not this user's server: ${why}`);
  const silent = `a server listens on ${sock} but did not answer within ${TAKE_MS / 1000} s (stopped, or busy in a run)`;
  switch (a.action) {
    case 'status': {
      const s = await control(sock, 'status');
      process.stdout.write(s === 'silent' ? `${silent}\n` : s ? describe(s) : `no server for this cache and build (${sock})\n`);
      return 0;
    }
    case 'stop': {
      const s = await control(sock, 'stop');
      if (s === 'silent') throw new UsageError(silent);
      log(s ? `callorder: stopped the server (pid ${s.pid}) after ${s.served} request${s.served === 1 ? '' : 's'}` : 'callorder: no server was running');
      return 0;
    }
    case 'start':
      return start(sock, idle);
    default:
      return serve(sock, idle);
  }
}

function describe(s: ServerStatus): string {
  return `server pid ${s.pid}, listening on ${s.socket}, since ${s.startedAt}, ${s.served} request${s.served === 1 ? '' : 's'} served, ` +
    `${s.heapMB} MB of heap, exits after ${s.idleSeconds} s idle\n`;
}

/** The server in the background, detached from this terminal; returns once it answers. */
async function start(sock: string, idle: number): Promise<number> {
  const running = await control(sock, 'status');
  if (running === 'silent') throw new UsageError(`a server listens on ${sock} but does not answer (stopped?): end it, or remove the socket`);
  if (running) {
    process.stdout.write(describe(running));
    return 0;
  }
  const child = spawnServer(idle);
  let failed: string | null = null;
  child.on('error', (e) => (failed = (e as NodeJS.ErrnoException).code ?? e.message));
  const until = Date.now() + START_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    if (failed) throw new UsageError(`the server could not be started (${failed})`);
    const s = await control(sock, 'status');
    if (s && s !== 'silent') {
      process.stdout.write(describe(s));
      return 0;
    }
    if (child.exitCode !== null) break;
  }
  throw new UsageError(`the server did not start; \`callorder server run\` in a terminal says why`);
}

/**
 * The server's directory made, or found, as the user's own and 0700 (narrowed
 * when it is the user's and wider); one line saying what is wrong otherwise: a
 * cache that cannot be written, a directory of another user.
 */
function serverDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    if (st.isDirectory() && (uid < 0 || st.uid === uid) && (st.mode & 0o077)) fs.chmodSync(dir, 0o700);
  } catch (e) {
    throw new UsageError(`cannot make the server's directory ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'}): is the cache writable?`);
  }
  const why = untrustedDir(dir);
  if (why) throw new UsageError(`not this user's server directory: ${why}`);
}

/** Why `dir` is no directory of this user's alone; null when it is, or is not there. */
function untrustedDir(dir: string): string | null {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return null;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (uid >= 0 && st.uid !== uid) return `${dir} belongs to uid ${st.uid}, not to you (uid ${uid})`;
  if (st.mode & 0o077) return `${dir} is open to others (mode ${(st.mode & 0o777).toString(8)}), not 0700`;
  return null;
}

/**
 * A server in the background, detached from this process and its terminal:
 * in the cache's server directory, with this environment but git's
 * variables (a hook's GIT_INDEX_FILE names an index that is gone after the
 * commit; each request brings its own). Two started at once: one listens,
 * the other finds it and exits.
 */
export function spawnServer(idle = DEFAULT_IDLE): ChildProcess {
  const bin = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  const dir = path.join(cacheRoot(), 'server');
  serverDir(dir);
  const child = spawn(process.execPath, [bin, 'server', 'run', '--idle', String(idle)], { detached: true, stdio: 'ignore', cwd: dir, env });
  child.unref();
  return child;
}

let serving = false;

/** Whether this process is a server: a command it runs was handed to it, not run for want of one. */
export function inServer(): boolean {
  return serving;
}

/** The server itself, in this process, until it is stopped or idle. */
async function serve(sock: string, idleSeconds: number): Promise<number> {
  serving = true;
  serverDir(path.dirname(sock));
  if (fs.existsSync(sock)) {
    const s = await control(sock, 'status');
    if (s) throw new UsageError(`a server already listens on ${sock}${s === 'silent' ? ' (it does not answer: stopped?)' : ''}`);
    // a socket nobody listens on is a server that was killed
    fs.rmSync(sock, { force: true });
  }
  holdCacheWrites();
  const startedAt = new Date().toISOString();
  let served = 0;
  /** one run at a time: the command code owns process.stdout, the environment and the directory while it runs */
  let busy = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (done = r));
  const server = net.createServer();
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (idleTimer) clearTimeout(idleTimer);
    server.close();
    fs.rmSync(sock, { force: true });
    done(0);
  };
  const idle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    if (stopped) return;
    idleTimer = setTimeout(stop, idleSeconds * 1000);
  };
  const status = (): ServerStatus => ({
    pid: process.pid, socket: sock, served, startedAt, idleSeconds, heapMB: Math.round(process.memoryUsage().heapUsed / (1 << 20)),
  });
  server.on('connection', (c) => {
    c.setEncoding('utf8');
    let buf = '';
    const onData = (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      c.off('data', onData);
      let msg: Request | Control;
      try {
        msg = JSON.parse(buf.slice(0, nl)) as Request | Control;
      } catch {
        c.destroy();
        return;
      }
      if ('control' in msg) {
        send(c, { status: status() });
        c.end();
        if (msg.control === 'stop') stop();
        return;
      }
      if (busy) {
        send(c, { busy: true });
        c.end();
        return;
      }
      busy = true;
      if (idleTimer) clearTimeout(idleTimer);
      // the request is taken at once, and the client hears from the server while the run goes on: a server
      // stopped (Ctrl-Z) or stuck is then told from one at work (server/client.ts)
      send(c, { taken: process.pid });
      const beat = setInterval(() => send(c, { alive: true }), HEARTBEAT_MS);
      void answer(c, msg).finally(() => {
        clearInterval(beat);
        busy = false;
        served++;
        idle();
      });
    };
    c.on('data', onData);
    c.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on ${sock} (${e.code ?? e.message})`)));
    server.listen(sock, () => resolve());
  });
  fs.chmodSync(sock, 0o600);
  process.on('exit', () => fs.rmSync(sock, { force: true }));
  // another build under it: this server's code is not the code a fresh process would run
  const watch = watchBuild(stop);
  void finished.then(() => watch?.close());
  idle();
  log(`callorder: server (pid ${process.pid}) listening on ${sock}; exits after ${idleSeconds} s idle`);
  return finished;
}

function watchBuild(stop: () => void): fs.FSWatcher | null {
  try {
    // the code id's stamp is written beside the code by whoever finds it stale, this server included
    return fs.watch(analyzerDir(), { recursive: true, persistent: false }, (_e, name) => {
      if (!name || path.basename(String(name)) !== STAMP) stop();
    });
  } catch {
    // no recursive watch here: the build stamp in the socket's name still sends new clients elsewhere
    return null;
  }
}

function send(c: net.Socket, r: Reply): void {
  if (!c.destroyed) c.write(`${JSON.stringify(r)}\n`);
}

type Write = typeof process.stdout.write;

/**
 * One request as a fresh process would run it: its directory, its
 * environment, its output (a terminal's width and whether stderr is one) sent
 * back line by line. The command code writes to process.stdout and
 * process.stderr, so those are the client's for the time of the run.
 */
async function answer(c: net.Socket, req: Request): Promise<void> {
  const { dispatch } = require('../cli') as typeof import('../cli');
  const env = process.env;
  const cwd = process.cwd();
  const out = process.stdout;
  const err = process.stderr;
  const saved = { outWrite: out.write, errWrite: err.write, tty: err.isTTY, columns: err.columns };
  const writer = (key: 'out' | 'err'): Write => ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    send(c, key === 'out' ? { out: text } : { err: text });
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as Write;
  let code = 2;
  try {
    process.chdir(req.cwd);
    process.env = req.env;
    out.write = writer('out');
    err.write = writer('err');
    err.isTTY = req.stderrTTY;
    err.columns = req.columns;
    // the cache writes of the last run failed after its answer was out: this client hears of it, once
    const owed = pendingCacheNote();
    if (owed) err.write(owed);
    resetCacheFailures();
    code = await dispatch(req.argv);
  } catch (e) {
    // dispatch answers every error it expects; this is the server's own
    err.write(`callorder: internal error in the server: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  } finally {
    out.write = saved.outWrite;
    err.write = saved.errWrite;
    err.isTTY = saved.tty;
    err.columns = saved.columns;
    process.env = env;
    try {
      process.chdir(cwd);
    } catch {
      /* the directory it started in is gone: stay where the request left it */
    }
  }
  send(c, { exit: code });
  c.end();
  // the entries the run made, written now that its answer is out (the next request waits)
  // a write that fails now is told to the next client: this one has its answer
  cacheWritesAfterAnswer(true);
  try {
    flushCacheWrites();
  } catch {
    /* a cache entry not written costs a later run a miss */
  } finally {
    cacheWritesAfterAnswer(false);
  }
}
