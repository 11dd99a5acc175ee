// How much function-body IR a run keeps. Facts take about ten times the
// source in memory, nearly all of it function bodies, so every .c and .h file
// of a kernel (1.2 GB) needs some 12 GB: the whole 6.12 tree ran out of heap
// after 36 minutes. The pack's own files (KVM) always keep their bodies; other
// files keep theirs, in path order, until this many bytes of them are kept,
// and after that are declarations only: their functions are counted (stats)
// but not analysed, as if the file were not in the run, which is what every
// run of the pack's own files assumes of them anyway. One note says which.

import picomatch from 'picomatch';
import type { FileFacts, Stmt } from '../parse/ir';
import type { Pack } from '../pack/load';

export const DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024;

const NO_BODY: Stmt = Object.freeze({ k: 'block', body: Object.freeze([]) as unknown as Stmt[] });

export class BodyBudget {
  private readonly ours: (file: string) => boolean;
  private kept = 0;
  private readonly dropped: string[] = [];

  constructor(pack: Pack, private readonly max: number = DEFAULT_MAX_BODY_BYTES) {
    const inc = picomatch(pack.include.length ? pack.include : ['**']);
    const exc = pack.exclude.length ? picomatch(pack.exclude) : () => false;
    this.ours = (f) => inc(f) && !exc(f);
  }

  /** Keeps the file's bodies, or makes its functions declarations only. Files come in path order. */
  admit(f: FileFacts): void {
    if (this.ours(f.file) || f.functions.length === 0) return;
    if (this.kept + f.bytes <= this.max) {
      this.kept += f.bytes;
      return;
    }
    for (const fn of f.functions) {
      fn.body = NO_BODY;
      fn.opaque = true;
    }
    this.dropped.push(f.file);
  }

  note(): string | undefined {
    const d = this.dropped;
    if (!d.length) return undefined;
    return `${d.length} file${d.length > 1 ? 's' : ''} outside the pack's files read as declarations only ` +
      `(--max-body-bytes ${this.max} of function bodies kept): ${d[0]}${d.length > 1 ? ` ... ${d[d.length - 1]}` : ''}`;
  }
}
