// tree-sitter frees a tree's native memory in the finalizer of its JS
// wrapper, and Node runs such finalizers only after a GC has found the wrapper
// dead and the event loop has turned. The wrapper is a few bytes, so nothing
// prompts V8 to collect it: a loop parsing the kernel grew by about 0.4 MB a
// file. A minor GC every few MB of source finds the (still young) wrappers;
// the callers turn the event loop between files or chunks.

import * as v8 from 'node:v8';
import * as vm from 'node:vm';

type Gc = (opts?: { type?: 'minor' | 'major' }) => void;
let gc: Gc | null | undefined;
/** a forced GC is not free (it promotes what is young and alive): one per this many bytes parsed */
const EVERY_BYTES = 4 << 20;
let parsed = 0;

/** Call after each parse with the size of the source parsed. */
export function collectDeadTrees(bytes: number): void {
  parsed += bytes;
  if (parsed < EVERY_BYTES) return;
  parsed = 0;
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as Gc;
    } catch {
      gc = null;
    }
  }
  gc?.({ type: 'minor' });
}
