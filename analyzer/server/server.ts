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
import { analyzerDir, HEARTBEAT_MS, type Control, type Reply, type Request, type ServerStatus } from './socket';
import { control } from './client';
import { serverDir } from './spawn';
import { AnalysisHost } from '../driver/analyze';
import { cacheNotesTo, cacheWritesAfterAnswer, pendingCacheNote, resetCacheFailures } from '../cache/store';
import { STAMP } from '../cache/code-id';
import { UsageError } from '../util/errors';
import type { Io, Out } from '../util/io';

/** How the server runs a request: the CLI's command table (cli.ts dispatch), given to it so that it imports no command. */
export type Dispatch = (argv: string[], io: Io, host?: AnalysisHost) => Promise<number>;

/** The server itself, in this process, until it is stopped or idle. */
export async function serve(sock: string, idleSeconds: number, dispatch: Dispatch, log: (line: string) => void): Promise<number> {
  // one session for every request: facts, skeletons and blind summaries carry over as in any process
  const host = new AnalysisHost();
  serverDir(path.dirname(sock));
  if (fs.existsSync(sock)) {
    const s = await control(sock, 'status');
    if (s) throw new UsageError(`a server already listens on ${sock}${s === 'silent' ? ' (it does not answer: stopped?)' : ''}`);
    // a socket nobody listens on is a server that was killed
    fs.rmSync(sock, { force: true });
  }
  host.holdCacheWrites();
  const startedAt = new Date().toISOString();
  let served = 0;
  /** one run at a time: a run's cache writes are flushed, and a failure among them noted, before the next begins */
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
      void answer(c, msg, dispatch, host).finally(() => {
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

/**
 * One request as a fresh process would run it: the command gets the client's
 * directory and environment and writes to the client's output (a terminal's
 * width and whether stderr is one), sent back line by line. Nothing of this
 * process is swapped: the command is handed that I/O (util/io.ts).
 */
async function answer(c: net.Socket, req: Request, dispatch: Dispatch, host: AnalysisHost): Promise<void> {
  const out: Out = { write: (text: string) => send(c, { out: text }) };
  const err: Out = { write: (text: string) => send(c, { err: text }), isTTY: req.stderrTTY, columns: req.columns };
  const io: Io = { stdout: out, stderr: err, env: req.env, cwd: req.cwd, served: true };
  let code = 2;
  try {
    // the cache writes of the last run failed after its answer was out: this client hears of it, once
    const owed = pendingCacheNote();
    if (owed) err.write(owed);
    resetCacheFailures();
    cacheNotesTo((line) => err.write(line));
    code = await dispatch(req.argv, io, host);
  } catch (e) {
    // dispatch answers every error it expects; this is the server's own
    err.write(`callorder: internal error in the server: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  } finally {
    cacheNotesTo(null);
  }
  send(c, { exit: code });
  c.end();
  // the entries the run made, written now that its answer is out (the next request waits)
  // a write that fails now is told to the next client: this one has its answer
  cacheWritesAfterAnswer(true);
  try {
    host.flushCacheWrites();
  } catch {
    /* a cache entry not written costs a later run a miss */
  } finally {
    cacheWritesAfterAnswer(false);
  }
}
