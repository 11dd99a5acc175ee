// One file in, FileFacts (or a note saying why not) out. Files are read as
// latin1 so that one character is one byte: positions are byte positions, and
// invalid UTF-8 cannot make the read fail (it is noted, with where it starts).

import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type Parser from 'tree-sitter';
import type { FileFacts } from './ir';
import { extractFacts } from './extract';
import { flatten, type FlatTree } from './flat-tree';
import { collectDeadTrees } from './tree-memory';
import { compactFacts } from './compact';
import { definitionsSource } from './cleanup';
import type { Normalizer } from './normalize';
import { DEFAULT_LIMITS, type ParseLimits } from '../source/limits';
import { errMsg } from '../util/errors';

let parser: Parser | null = null;
function getParser(): Parser {
  if (!parser) {
    // loaded on the first parse: a run the cache answers never needs the binding (some 25 ms)
    const P = require('tree-sitter') as typeof Parser;
    parser = new P();
    parser.setLanguage(require('tree-sitter-c') as Parser.Language);
  }
  return parser;
}

export { DEFAULT_LIMITS, type ParseLimits };

/** transient: the failure depends on the moment (a timeout), not on the file */
export type ParseOutcome = { ok: true; facts: FileFacts } | { ok: false; note: string; transient?: boolean };

export function readSource(abs: string, rel: string, limits: ParseLimits): { text: string; notes: string[] } | { note: string } {
  const buf = readBytes(abs, rel, limits);
  return 'note' in buf ? buf : decode(buf, rel);
}

/** A file's bytes, or a note saying why not (not a regular file, over --max-file-size, unreadable). */
export function readBytes(abs: string, rel: string, limits: ParseLimits): Buffer | { note: string } {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    return { note: `${rel}: cannot read: ${errMsg(e)}` };
  }
  if (!st.isFile()) return { note: `${rel}: not a regular file, skipped` };
  if (st.size > limits.maxFileSize) {
    return { note: `${rel}: ${st.size} bytes is over --max-file-size ${limits.maxFileSize}, skipped` };
  }
  try {
    return fs.readFileSync(abs);
  } catch (e) {
    return { note: `${rel}: cannot read: ${errMsg(e)}` };
  }
}

/** The checks readSource makes, on bytes that came from elsewhere (a git blob, a patched file, a worker's job). */
export function sourceOf(buf: Buffer, rel: string, limits: ParseLimits): { text: string; notes: string[] } | { note: string } {
  if (buf.length > limits.maxFileSize) {
    return { note: `${rel}: ${buf.length} bytes is over --max-file-size ${limits.maxFileSize}, skipped` };
  }
  return decode(buf, rel);
}

/** Bytes as text, one character a byte; a NUL byte means it is no C source. */
export function decode(buf: Buffer, rel: string): { text: string; notes: string[] } | { note: string } {
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const { line, col } = lineCol(buf, nul);
    return { note: `${rel}:${line}:${col}: NUL byte, not C source, skipped` };
  }
  const notes: string[] = [];
  if (!isUtf8(buf)) {
    const bad = firstInvalidUtf8(buf);
    const { line, col } = lineCol(buf, bad < 0 ? 0 : bad);
    notes.push(`${rel}:${line}:${col}: invalid UTF-8, read as bytes`);
  }
  return { text: buf.toString('latin1'), notes };
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence, -1 if none. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let len: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; } else return i;
    if (i + len > n) return i;
    let cp = c & (0xff >> (len + 1));
    for (let j = 1; j < len; j++) {
      const d = b[i + j];
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return -1;
}

// The per-file parse budget. tree-sitter asks the progress callback every 100
// parse operations, so a parse that goes quadratic (100,000 unclosed `#if`s
// take seven minutes) stops on time; the input callback alone is asked only once per
// chunk and let such a parse run on. One callback serves every parse because
// the binding keeps a reference to each function it is given, for good.
let deadline = 0;
let abandon: (() => boolean) | null = null;
function pastDeadline(): boolean {
  return (deadline > 0 && Date.now() > deadline) || (abandon !== null && abandon());
}

/**
 * A parse worker's way to stop the parse in progress when the run ends on a
 * signal (parse-pool.ts stopWorkers): the parse is cancelled like a timeout,
 * whose note is never cached. Terminating the thread instead would abort the
 * process: tree-sitter's binding cannot unwind through its callbacks.
 */
export function abandonParsesWhen(f: () => boolean): void {
  abandon = f;
}

/**
 * `raw`: the facts as extracted, for a caller that only writes their text
 * form (a worker); otherwise the objects the text form would give back, their
 * strings shared (compact.ts). `bodies` false: every function's body is left
 * empty (declarations only), for a file whose functions no run enters
 * (source/discover.ts walkedMatcher).
 */
export function parseText(text: string, rel: string, normalize: Normalizer, limits: ParseLimits, raw = false, bodies = true): ParseOutcome {
  return parseChecked(text, rel, normalize, limits, raw, false, bodies);
}

/**
 * The facts of a text that parses without any error, MISSING tokens
 * included; null otherwise. The facts alone cannot tell: a MISSING `)` can be
 * hidden from the cursor the facts are read with (flat-tree.ts).
 */
export function parseClean(text: string, rel: string, normalize: Normalizer, limits: ParseLimits): FileFacts | null {
  const r = parseChecked(text, rel, normalize, limits, false, true);
  return r.ok ? r.facts : null;
}

function parseChecked(text: string, rel: string, normalize: Normalizer, limits: ParseLimits, raw: boolean, clean: boolean, bodies = true): ParseOutcome {
  // the budget covers normalization too: a file can make any stage slow
  const started = Date.now();
  const norm = normalize(text);
  const flat = flatParse(norm, limits, started, bodies);
  // the tree-sitter tree is garbage now, and still young: collect it before extraction ages it
  collectDeadTrees(text.length);
  if (flat === 'timeout') return { ok: false, note: `${rel}: parse took over ${limits.timeoutMs} ms (--timeout), skipped`, transient: true };
  if (flat instanceof Error) return { ok: false, note: `${rel}: parser failed: ${errMsg(flat)}, skipped` };
  if (clean && flat.hasError) return { ok: false, note: `${rel}: the tree has an error` };
  let facts: FileFacts;
  try {
    facts = extractFacts(flat, rel, norm, text, normalize.cleanup);
    if (normalize.cleanup) defineCleanups(facts, text, rel, normalize, limits, started, bodies);
  } catch (e) {
    return { ok: false, note: `${rel}: fact extraction failed: ${errMsg(e)}, skipped` };
  }
  if (limits.timeoutMs > 0 && Date.now() - started > limits.timeoutMs) {
    return { ok: false, note: `${rel}: analysis took over ${limits.timeoutMs} ms (--timeout), skipped`, transient: true };
  }
  facts.bytes = text.length;
  return { ok: true, facts: raw ? facts : compactFacts(facts) };
}

/** Parse and copy out; the tree itself does not outlive this call. */
function flatParse(norm: string, limits: ParseLimits, started: number, bodies: boolean): FlatTree | 'timeout' | Error {
  const p = getParser();
  let tree: Parser.Tree | null;
  deadline = limits.timeoutMs > 0 ? started + limits.timeoutMs : 0;
  try {
    tree = p.parse((index: number) => (index < norm.length ? norm.slice(index, index + 65536) : null), null, {
      progressCallback: pastDeadline,
    });
  } catch (e) {
    p.reset();
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    deadline = 0;
  }
  if (!tree) {
    // a cancelled parse would otherwise be resumed by the next file's parse
    p.reset();
    return 'timeout';
  }
  try {
    return flatten(tree, norm, bodies);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export function parseFile(abs: string, rel: string, normalize: Normalizer, limits: ParseLimits = DEFAULT_LIMITS): ParseOutcome {
  const src = readSource(abs, rel, limits);
  return 'note' in src ? { ok: false, note: src.note } : parseSource(src, rel, normalize, limits);
}

export function parseBuffer(buf: Buffer, rel: string, normalize: Normalizer, limits: ParseLimits = DEFAULT_LIMITS, bodies = true): ParseOutcome {
  const src = sourceOf(buf, rel, limits);
  return 'note' in src ? { ok: false, note: src.note } : parseSource(src, rel, normalize, limits, false, bodies);
}

/** Decoded text to facts; the decoding notes go first among the file's notes. */
export function parseSource(src: { text: string; notes: string[] }, rel: string, normalize: Normalizer, limits: ParseLimits, raw = false,
  bodies = true): ParseOutcome {
  const r = parseText(src.text, rel, normalize, limits, raw, bodies);
  if (r.ok) r.facts.notes = [...src.notes, ...r.facts.notes];
  else if (src.notes.length) return { ...r, note: `${src.notes.join('; ')}; ${r.note}` };
  return r;
}

function lineCol(buf: Buffer, off: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < off; i++) if (buf[i] === 10) { line++; last = i; }
  return { line, col: off - last };
}

export { errMsg };

/**
 * The constructors and destructors a file's cleanup definitions define
 * (`DEFINE_GUARD(name, ...)`, blanked by the normalizer), parsed from the C
 * they expand to, each on its definition's line.
 */
function defineCleanups(facts: FileFacts, text: string, rel: string, normalize: Normalizer, limits: ParseLimits, started: number, bodies: boolean): void {
  const src = definitionsSource(text, normalize.cleanup!);
  if (src === null) return;
  const norm = normalize(src);
  const flat = flatParse(norm, limits, started, bodies);
  if (flat === 'timeout' || flat instanceof Error) return;
  const made = extractFacts(flat, rel, norm, src, normalize.cleanup);
  const lines = text.split('\n', made.functions.reduce((m, f) => Math.max(m, f.line), 0));
  for (const f of made.functions) {
    f.expandedFrom = (/^\s*(?:static\s+)?(\w+\s*\(\s*\w+)/.exec(lines[f.line - 1] ?? '')?.[1] ?? 'cleanup') + ')';
    facts.functions.push(f);
  }
}
