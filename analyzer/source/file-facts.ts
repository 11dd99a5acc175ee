// One file's bytes to its facts as JSON text, the unit of work of the worker
// pool and of the in-process loop alike, so both give the same facts. JSON
// text, not objects: it is what the cache stores and the cheapest thing to
// send from a worker (one string copy, parsed once on the main thread).

import type { Normalizer } from './normalize';
import { decode, parseSource, type ParseLimits } from '../parse/parse-file';
import { collectDeadTrees } from '../parse/tree-memory';
import type { EntryStore } from '../cache/store';

export type FileOutcome =
  | { ok: true; json: string }
  | { ok: false; note: string; transient?: boolean };

export interface FactsContext {
  normalize: Normalizer;
  limits: ParseLimits;
  /** where to store the facts under their key; null: no cache */
  store: EntryStore | null;
}

export function factsOfBytes(bytes: Buffer, rel: string, key: string | null, cx: FactsContext): FileOutcome {
  const src = decode(bytes, rel);
  if ('note' in src) return { ok: false, note: src.note };
  const r = parseSource(src, rel, cx.normalize, cx.limits);
  collectDeadTrees();
  if (!r.ok) return r;
  const json = JSON.stringify(r.facts);
  if (cx.store && key) cx.store.write(key, json);
  return { ok: true, json };
}
