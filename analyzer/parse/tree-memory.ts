// tree-sitter frees a tree's native memory in the finalizer of its JS
// wrapper, and Node runs such finalizers only after a GC has found the wrapper
// dead and the event loop has turned. The wrapper is a few bytes, so nothing
// prompts V8 to collect it: a loop parsing the kernel grew by about 0.4 MB a
// file. A minor GC right after each parse, while the dead wrapper is still
// young, finds it (later it may be promoted, out of a minor GC's reach); the
// callers turn the event loop between files or chunks. A major GC now and
// then catches what was promoted all the same.
//
// The minor GC waits for MINOR_EVERY bytes of source, not for each file: it
// costs about the same for a 100-byte file as for a 100 KB one, and a tree of
// 150,000 tiny files spent half its time in them. A dead wrapper stays young
// until then (only a live one survives a GC), so the next one still finds it.

import * as v8 from 'node:v8';
import * as vm from 'node:vm';

type Gc = (opts?: { type?: 'minor' | 'major' }) => void;
let gc: Gc | null | undefined;
/** bytes parsed between minor GCs: a few MB of dead trees at most */
const MINOR_EVERY = 256 << 10;
/** bytes parsed between major GCs */
const MAJOR_EVERY = 64 << 20;
let parsed = 0;
let sinceMinor = 0;

/** Call when a parse tree has just become garbage, with the size of the source parsed. */
export function collectDeadTrees(bytes: number): void {
  parsed += bytes;
  sinceMinor += bytes;
  if (sinceMinor < MINOR_EVERY && parsed < MAJOR_EVERY) return;
  sinceMinor = 0;
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
