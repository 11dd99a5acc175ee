// The CLI's first step: hand `check` or `hook run` to a resident server of
// this build when one is listening (server/server.ts), and write what it
// answers. No server, a stale socket, a server busy with another run, or one
// that goes away before it has said anything: null, and the command runs in
// this process as always.
//
// A server is asked only when it is this user's own: its directory is this
// uid's and 0700, the socket is this uid's (trustedSocket); anything else is
// one line and a run here, since the request carries the whole environment
// and the answer is taken as the run's. Node gives no peer credentials
// (SO_PEERCRED) on a unix socket, so the owner checks are what hold; a
// directory that only its owner can enter holds only its owner's sockets.
// A server that has not taken the request within a second (stopped with
// Ctrl-Z or SIGSTOP, or stuck) is passed by with a note, and the command runs
// here; one that falls silent during a run (no heartbeat for REPLY_MS, or
// stopped, as /proc says where there is one) is given up on the same way, or,
// once it has written output, with one line and exit 2.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { served, socketPath, type Control, type Reply, type Request, type ServerStatus } from './socket';
import { SIGNALS, interruptedLine } from '../util/signals';

/** How long a server has to take a request (or say it is busy) after the connection. */
export const TAKE_MS = 1000;
/** How long a server taking a run may stay silent: it sends a heartbeat every HEARTBEAT_MS while its event loop turns. */
export const REPLY_MS = 60_000;
/** How often the client looks at whether a silent server is stopped (/proc/PID/stat), once it is silent this long. */
const STOPPED_CHECK_MS = 1000;

/**
 * Why the socket at `sock` is not this user's own server to ask, or null when
 * it is (or when there is nothing there). A socket of another uid, a
 * directory of another uid or open to others: one line saying which.
 */
export function untrustedSocket(sock: string): string | null {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  if (uid < 0) return null;
  const dir = path.dirname(sock);
  let d: fs.Stats;
  let s: fs.Stats;
  try {
    d = fs.lstatSync(dir);
    s = fs.lstatSync(sock);
  } catch {
    return null;
  }
  if (!d.isDirectory()) return `${dir} is not a directory`;
  if (d.uid !== uid) return `${dir} belongs to uid ${d.uid}, not to you (uid ${uid})`;
  if (d.mode & 0o077) return `${dir} is open to others (mode ${(d.mode & 0o777).toString(8)}), not 0700`;
  if (!s.isSocket()) return `${sock} is not a socket`;
  if (s.uid !== uid) return `${sock} belongs to uid ${s.uid}, not to you (uid ${uid})`;
  return null;
}

/** The exit code the server's run of `argv` gave, its output written here; null when this process must run it. */
export function viaServer(argv: string[]): Promise<number | null> {
  if (process.env.CALLORDER_NO_SERVER || !served(argv)) return Promise.resolve(null);
  const sock = socketPath();
  if (!sock || !fs.existsSync(sock)) return Promise.resolve(null);
  const why = untrustedSocket(sock);
  if (why) {
    process.stderr.write(`callorder: not asking the server: ${why}; running here\n`);
    return Promise.resolve(null);
  }
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    // a directory removed under the shell: this process says so, as it would without a server
    return Promise.resolve(null);
  }
  const req: Request = {
    argv,
    cwd,
    env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
    stderrTTY: !!process.stderr.isTTY,
    columns: process.stderr.columns || process.stdout.columns || 0,
  };
  return new Promise((resolve) => {
    let said = false;
    let done = false;
    let pid = 0;
    let heard = Date.now();
    // as a run in this process would end (cli.ts): one line, 128+signo; the server finishes the run, whose
    // cache entries are written whole or not at all
    const onSignal = (name: NodeJS.Signals) => {
      process.stderr.write(interruptedLine(name));
      process.exit(128 + SIGNALS[name as keyof typeof SIGNALS]);
    };
    for (const name of Object.keys(SIGNALS)) process.on(name, onSignal);
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearInterval(watch);
      for (const name of Object.keys(SIGNALS)) process.off(name, onSignal);
      c.destroy();
      resolve(code);
    };
    /** A server that does not answer: passed by while it has written nothing, else the run is lost. */
    const silent = (what: string) => {
      if (!said) {
        process.stderr.write(`callorder: the server ${what}; running here (CALLORDER_NO_SERVER=1: never ask it)\n`);
        return finish(null);
      }
      process.stderr.write(`callorder: the server ${what} during the run; run again (CALLORDER_NO_SERVER=1: without it)\n`);
      finish(2);
    };
    // from the connection: a stopped server's socket still accepts it (the kernel's backlog), then nothing
    let connected = 0;
    const started = Date.now();
    const watch = setInterval(() => {
      const quiet = Date.now() - heard;
      if (!connected) {
        if (Date.now() - started >= TAKE_MS) silent(`did not accept the connection within ${TAKE_MS / 1000} s`);
      } else if (!pid) {
        if (Date.now() - connected >= TAKE_MS) silent(`did not take the request within ${TAKE_MS / 1000} s (stopped, or busy in a run)`);
      } else if (quiet >= REPLY_MS) silent(`sent nothing for ${REPLY_MS / 1000} s`);
      else if (quiet >= STOPPED_CHECK_MS && stopped(pid)) silent(`(pid ${pid}) is stopped`);
    }, Math.min(250, TAKE_MS / 4));
    const c = exchange(sock, req, (r) => {
      heard = Date.now();
      if ('out' in r) process.stdout.write(r.out);
      else if ('err' in r) process.stderr.write(r.err);
      else if ('exit' in r) return finish(r.exit);
      // another run is in the server: this one runs here rather than wait behind it
      else if ('busy' in r) return finish(null);
      else if ('taken' in r) {
        pid = r.taken;
        return;
      } else if ('alive' in r) return;
      said = true;
    }, () => {
      if (done) return;
      if (!said) return finish(null);
      process.stderr.write('callorder: the server went away during the run; run again (CALLORDER_NO_SERVER=1: without it)\n');
      finish(2);
    }, () => (connected = Date.now()));
  });
}

/** Whether process `pid` is stopped (Ctrl-Z, SIGSTOP) or gone, where /proc says; false where it cannot tell. */
function stopped(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync('/proc/self/stat');
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'T' || state === 't' || state === 'Z' || state === 'X';
}

/**
 * Ask the server for its status or to stop: its status; null when none
 * answers; 'silent' when one is connected to but says nothing within TAKE_MS.
 */
export function control(sock: string, what: Control['control']): Promise<ServerStatus | null | 'silent'> {
  return new Promise((resolve) => {
    let got: ServerStatus | null = null;
    let settled = false;
    const settle = (v: ServerStatus | null | 'silent') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => settle('silent'), TAKE_MS);
    const c = exchange(sock, { control: what }, (r) => {
      if ('status' in r) got = r.status;
    }, () => settle(got));
  });
}

/** One request, its replies line by line, then `closed` once, whatever ended it. */
function exchange(sock: string, msg: Request | Control, reply: (r: Reply) => void, closed: () => void, connected?: () => void): net.Socket {
  const c = net.createConnection(sock);
  let buf = '';
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      closed();
    }
  };
  c.setEncoding('utf8');
  c.on('connect', () => {
    connected?.();
    c.write(`${JSON.stringify(msg)}\n`);
  });
  c.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let r: Reply;
      try {
        r = JSON.parse(line) as Reply;
      } catch {
        c.destroy();
        return end();
      }
      reply(r);
    }
  });
  c.on('error', end);
  c.on('close', end);
  return c;
}
