// Starting a resident server in the background, and the checks that the
// directory it listens in is this user's alone: what `server start` and a
// hook installed with --server do (commands/server.ts, commands/hook.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { cacheRoot } from '../cache/store';
import { UsageError } from '../util/errors';

export const DEFAULT_IDLE = 900;

/**
 * The server's directory made, or found, as the user's own and 0700 (narrowed
 * when it is the user's and wider); one line saying what is wrong otherwise: a
 * cache that cannot be written, a directory of another user.
 */
export function serverDir(dir: string): void {
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
export function untrustedDir(dir: string): string | null {
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
 * in the cache's server directory, with the command's environment (`from`) but git's
 * variables (a hook's GIT_INDEX_FILE names an index that is gone after the
 * commit; each request brings its own). Two started at once: one listens,
 * the other finds it and exits.
 */
export function spawnServer(idle = DEFAULT_IDLE, from: NodeJS.ProcessEnv = process.env): ChildProcess {
  const bin = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');
  const env = Object.fromEntries(Object.entries(from).filter(([k]) => !k.startsWith('GIT_')));
  const dir = path.join(cacheRoot(), 'server');
  serverDir(dir);
  const child = spawn(process.execPath, [bin, 'server', 'run', '--idle', String(idle)], { detached: true, stdio: 'ignore', cwd: dir, env });
  child.unref();
  return child;
}
