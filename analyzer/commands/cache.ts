import { cacheRoot, clearCache } from '../cache/store';

export function cacheCmd(a: { action: string }): number {
  const root = cacheRoot();
  if (a.action === 'path') {
    process.stdout.write(`${root}\n`);
    return 0;
  }
  const n = clearCache(root);
  process.stdout.write(`removed ${n} cache entr${n === 1 ? 'y' : 'ies'} from ${root}\n`);
  return 0;
}
