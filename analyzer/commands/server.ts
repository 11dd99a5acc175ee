// `callorder server start|stop|status|run`: the command's glue. The server
// itself is server/server.ts; it runs the commands it is handed through the
// command table the CLI gives it (cli.ts dispatch), so it imports no command.

import * as path from 'node:path';
import { socketPath, type ServerStatus } from '../server/socket';
import { control, untrustedSocket, TAKE_MS } from '../server/client';
import { serve, type Dispatch } from '../server/server';
import { DEFAULT_IDLE, spawnServer, untrustedDir } from '../server/spawn';
import { cacheRoot } from '../cache/store';
import { log } from './common';
import { UsageError } from '../util/errors';
import type { Io } from '../util/io';

interface ServerArgs {
  action: string;
  idle?: number;
}

const START_WAIT_MS = 15000;

export async function serverCmd(a: ServerArgs, io: Io, dispatch: Dispatch): Promise<number> {
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
      io.stdout.write(s === 'silent' ? `${silent}\n` : s ? describe(s) : `no server for this cache and build (${sock})\n`);
      return 0;
    }
    case 'stop': {
      const s = await control(sock, 'stop');
      if (s === 'silent') throw new UsageError(silent);
      log(io, s ? `callorder: stopped the server (pid ${s.pid}) after ${s.served} request${s.served === 1 ? '' : 's'}` : 'callorder: no server was running');
      return 0;
    }
    case 'start':
      return start(sock, idle, io);
    default:
      return serve(sock, idle, dispatch, (line) => log(io, line));
  }
}

function describe(s: ServerStatus): string {
  return `server pid ${s.pid}, listening on ${s.socket}, since ${s.startedAt}, ${s.served} request${s.served === 1 ? '' : 's'} served, ` +
    `${s.heapMB} MB of heap, exits after ${s.idleSeconds} s idle\n`;
}

async function start(sock: string, idle: number, io: Io): Promise<number> {
  const running = await control(sock, 'status');
  if (running === 'silent') throw new UsageError(`a server listens on ${sock} but does not answer (stopped?): end it, or remove the socket`);
  if (running) {
    io.stdout.write(describe(running));
    return 0;
  }
  const child = spawnServer(idle, io.env);
  let failed: string | null = null;
  child.on('error', (e) => (failed = (e as NodeJS.ErrnoException).code ?? e.message));
  const until = Date.now() + START_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    if (failed) throw new UsageError(`the server could not be started (${failed})`);
    const s = await control(sock, 'status');
    if (s && s !== 'silent') {
      io.stdout.write(describe(s));
      return 0;
    }
    if (child.exitCode !== null) break;
  }
  throw new UsageError(`the server did not start; \`callorder server run\` in a terminal says why`);
}

/** The server in the background, detached from this terminal; returns once it answers. */
