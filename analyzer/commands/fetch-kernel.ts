import { fetchKernel } from '../source/fetch-kernel';
import { log } from './common';

export function fetchKernelCmd(a: { release: string; dir?: string; full?: boolean }): number {
  const p = fetchKernel(a.release, { dir: a.dir, full: a.full, log });
  process.stdout.write(`${p}\n`);
  return 0;
}
