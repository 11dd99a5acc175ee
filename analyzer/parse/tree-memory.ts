// tree-sitter frees a tree's native memory in the finalizer of its JS
// wrapper, and Node runs such finalizers only after a GC has found the wrapper
// dead and the event loop has turned. The wrapper is a few bytes, so nothing
// prompts V8 to collect it: a loop parsing the kernel grew by about 0.4 MB a
// file. A minor GC right after each parse, while the dead wrapper is still
// young, finds it (later it may be promoted, out of a minor GC's reach); the
// callers turn the event loop between files or chunks. A major GC now and
// then catches what was promoted all the same.

import * as v8 from 'node:v8';
import * as vm from 'node:vm';

type Gc = (opts?: { type?: 'minor' | 'major' }) => void;
let gc: Gc | null | undefined;
/** bytes parsed between major GCs */
const MAJOR_EVERY = 64 << 20;
let parsed = 0;

/** Call when a parse tree has just become garbage, with the size of the source parsed. */
export function collectDeadTrees(bytes: number): void {
  parsed += bytes;
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as Gc;
    } catch {
      gc = null;
    }
  }
  if (parsed < MAJOR_EVERY) gc?.({ type: 'minor' });
  else {
    parsed = 0;
    gc?.({ type: 'major' });
  }
}
