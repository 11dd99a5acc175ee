// The CLI's first step: hand `check` or `hook run` to a resident server of
// this build when one is listening (commands/server.ts), and write what it
// answers. No server, a stale socket, a server busy with another run, or one
// that goes away before it has said anything: null, and the command runs in
// this process as always.

import * as fs from 'node:fs';
import * as net from 'node:net';
import { served, socketPath, type Control, type Reply, type Request, type ServerStatus } from './socket';
import { SIGNALS, interruptedLine } from '../util/signals';

/** The exit code the server's run of `argv` gave, its output written here; null when this process must run it. */
export function viaServer(argv: string[]): Promise<number | null> {
  if (process.env.CALLORDER_NO_SERVER || !served(argv)) return Promise.resolve(null);
  const sock = socketPath();
  if (!sock || !fs.existsSync(sock)) return Promise.resolve(null);
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
      for (const name of Object.keys(SIGNALS)) process.off(name, onSignal);
      c.destroy();
      resolve(code);
    };
    const c = exchange(sock, req, (r) => {
      if ('out' in r) process.stdout.write(r.out);
      else if ('err' in r) process.stderr.write(r.err);
      else if ('exit' in r) return finish(r.exit);
      // another run is in the server: this one runs here rather than wait behind it
      else if ('busy' in r) return finish(null);
      said = true;
    }, () => {
      if (done) return;
      if (!said) return finish(null);
      process.stderr.write('callorder: the server went away during the run; run again (CALLORDER_NO_SERVER=1: without it)\n');
      finish(2);
    });
  });
}

/** Ask the server for its status or to stop: its status, or null when none answers. */
export function control(sock: string, what: Control['control']): Promise<ServerStatus | null> {
  return new Promise((resolve) => {
    let got: ServerStatus | null = null;
    exchange(sock, { control: what }, (r) => {
      if ('status' in r) got = r.status;
    }, () => resolve(got));
  });
}

/** One request, its replies line by line, then `closed` once, whatever ended it. */
function exchange(sock: string, msg: Request | Control, reply: (r: Reply) => void, closed: () => void): net.Socket {
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
  c.on('connect', () => c.write(`${JSON.stringify(msg)}\n`));
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
