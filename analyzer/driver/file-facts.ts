// One file's bytes to its facts, the unit of work of the worker pool and of
// the in-process loop alike, so both give the same facts. A worker answers
// with the text form (facts-text.ts): it is what the cache stores and the
// cheapest thing to send (one string copy, parsed once on the main thread).
// In process (`objects`), the facts come as the objects that text would give
// back (parse/compact.ts), without the text being written and parsed; the
// text is made only for the cache. With `lean`, the bodies stay in the facts
// entry on disk and only the rest is sent, with where each body is.

import type { Normalizer } from '../parse/normalize';
import { sourceOf, parseSource, type ParseLimits } from '../parse/parse-file';
import { factsToText, lineSpans } from '../parse/facts-text';
import type { FileFacts } from '../parse/ir';
import type { EntryStore } from '../cache/store';
import type { BodyRef } from './body-store';

export type FileOutcome =
  | { ok: true; text: string }
  /** in process only (FactsContext.objects): never sent to or from a worker */
  | { ok: true; facts: FileFacts }
  | { ok: true; skeleton: string; bodies: BodyRef[] }
  | { ok: false; note: string; transient?: boolean };

export interface FactsContext {
  normalize: Normalizer;
  limits: ParseLimits;
  /** where to store the facts under their key; null: no cache */
  store: EntryStore | null;
  /** leave the bodies in the store (which must be there) */
  lean?: boolean;
  /** answer with the facts as objects rather than text, unless lean (in process, not in a worker) */
  objects?: boolean;
}

/** `bodies` false: declarations only (parse-file.ts parseText). */
export function factsOfBytes(bytes: Buffer, rel: string, key: string | null, cx: FactsContext, bodies = true): FileOutcome {
  const src = sourceOf(bytes, rel, cx.limits);
  if ('note' in src) return { ok: false, note: src.note };
  const objects = !!cx.objects && !(cx.lean && cx.store && key);
  const r = parseSource(src, rel, cx.normalize, cx.limits, !objects, bodies);
  if (!r.ok) return r;
  if (objects && (!cx.store || !key)) return { ok: true, facts: r.facts };
  const text = factsToText(r.facts);
  if (objects) {
    cx.store!.write(key!, Buffer.from(text, 'utf8'));
    return { ok: true, facts: r.facts };
  }
  if (!cx.store || !key) return { ok: true, text };
  const payload = Buffer.from(text, 'utf8');
  const w = cx.store.write(key, payload);
  if (!cx.lean || !w) return { ok: true, text };
  return leanOf(w.file, payload, 0, w.payloadAt);
}

/**
 * The skeleton of an entry's facts and where its bodies are: `bytes` holds
 * the payload from `from`; in the entry file it starts at `fileAt`.
 */
export function leanOf(file: string, bytes: Buffer, from: number, fileAt: number): { ok: true; skeleton: string; bodies: BodyRef[] } {
  const { start, end } = lineSpans(bytes, from);
  const shift = fileAt - from;
  const bodies: BodyRef[] = [];
  for (let i = 1; i < start.length; i++) bodies.push({ file, at: start[i] + shift, length: end[i] - start[i] });
  return { ok: true, skeleton: bytes.toString('utf8', start[0], end[0]), bodies };
}
