// Where the resident server listens, and what a client may hand it. Loaded by
// every CLI start (bin/callorder asks the server first), so it pulls in
// nothing but paths and one stat: no hashing, no cache module.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot } from '../cache/root';

/** dist/analyzer */
const ANALYZER = path.resolve(__dirname, '..');

/** A unix socket's path must fit in sockaddr_un (108 bytes on Linux, 104 elsewhere). */
const MAX_SOCKET_PATH = 100;

/**
 * Which build this is, cheaply: where it is and its compiled cli.js's inode,
 * size and time (the build writes every file, cli.js among them, each time).
 * The code id (cache/code-id.ts) would be exact and costs a stat of every
 * compiled file; a server also stops at the first change under dist/ it sees
 * (server/server.ts), so an edit by hand cannot leave it answering either.
 */
export function buildStamp(): string {
  const st = fs.statSync(path.join(ANALYZER, 'cli.js'));
  return fnv(`${ANALYZER}\0${st.ino}\0${st.size}\0${st.mtimeMs}`);
}

/** 64 bits of FNV-1a, as hex: a name, not a defence against anyone. */
function fnv(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/**
 * The socket of a server for this cache and this build: a server of another
 * build is never asked, and one for another cache (another
 * CALLORDER_ANALYSIS_CACHE, CALLORDER_CACHE or HOME) is never found. null
 * when the path would be too long for a socket.
 */
export function socketPath(): string | null {
  const p = path.join(cacheRoot(), 'server', `${buildStamp()}.sock`);
  return Buffer.byteLength(p) <= MAX_SOCKET_PATH ? p : null;
}

/** dist/analyzer, which a server watches: a change there is another build. */
export function analyzerDir(): string {
  return ANALYZER;
}

/**
 * What the server answers: `check` and `hook run`, which read no stdin and
 * whose run is a tree's facts and results, which the server keeps in memory.
 * The command word must come first; an argument `-` (stdin), --help and
 * --version stay with the process that has the terminal.
 */
export function served(argv: string[]): boolean {
  if (argv.some((a) => a === '-' || a === '--help' || a === '--version' || a === '--fetch' || a.startsWith('--fetch='))) return false;
  return argv[0] === 'check' || (argv[0] === 'hook' && argv[1] === 'run');
}

export interface Request {
  argv: string[];
  cwd: string;
  /** the client's whole environment: git's variables (GIT_INDEX_FILE in a hook) and the cache's */
  env: Record<string, string>;
  /** whether the client's stderr is a terminal (a progress line), and its width */
  stderrTTY: boolean;
  columns: number;
}

/**
 * One line of JSON each: the request taken (the server's pid) or refused as
 * busy, output to write and heartbeats while the run goes on, then the exit
 * code.
 */
export type Reply = { out: string } | { err: string } | { exit: number } | { status: ServerStatus } | { busy: true }
  | { taken: number } | { alive: true };

/** How often a server that runs a request says it is still there (when its event loop turns). */
export const HEARTBEAT_MS = 500;

export interface ServerStatus {
  pid: number;
  socket: string;
  served: number;
  startedAt: string;
  idleSeconds: number;
  heapMB: number;
}

export type Control = { control: 'status' | 'stop' };
