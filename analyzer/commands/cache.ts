import { cacheRoot, clearCache } from '../cache/store';
import type { Io } from '../util/io';

export function cacheCmd(a: { action: string }, io: Io): number {
  const root = cacheRoot();
  if (a.action === 'path') {
    io.stdout.write(`${root}\n`);
    return 0;
  }
  const n = clearCache(root);
  io.stdout.write(`removed ${n} cache entr${n === 1 ? 'y' : 'ies'} from ${root}\n`);
  return 0;
}
