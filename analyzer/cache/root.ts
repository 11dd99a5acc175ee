// Where callorder keeps what it fetches and what it caches. A module of its
// own, with nothing but paths in it, because every start of the CLI asks it
// (server/socket.ts) before anything else is loaded.

import * as os from 'node:os';
import * as path from 'node:path';

/** $CALLORDER_CACHE, else $XDG_CACHE_HOME/callorder, else ~/.cache/callorder. */
export function kernelCacheRoot(): string {
  const own = process.env.CALLORDER_CACHE;
  if (own) return path.resolve(own);
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'callorder');
  return path.join(os.homedir(), '.cache', 'callorder');
}

/**
 * Where facts and results live: $CALLORDER_ANALYSIS_CACHE, else beside the
 * kernel trees ($CALLORDER_CACHE, $XDG_CACHE_HOME/callorder or ~/.cache/callorder).
 * The variable of its own is how tests use a throw-away cache and still find
 * the trees they fetched; CALLORDER_CACHE moves both.
 */
export function cacheRoot(): string {
  const own = process.env.CALLORDER_ANALYSIS_CACHE;
  return own ? path.resolve(own) : kernelCacheRoot();
}
