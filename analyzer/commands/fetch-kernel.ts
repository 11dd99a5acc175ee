import { fetchKernel } from '../source/fetch-kernel';
import { log } from './common';
import type { Io } from '../util/io';

export function fetchKernelCmd(a: { release: string; dir?: string; full?: boolean }, io: Io): number {
  const p = fetchKernel(a.release, { dir: a.dir, full: a.full, log: (l) => log(io, l) });
  io.stdout.write(`${p}\n`);
  return 0;
}
