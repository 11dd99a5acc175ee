// Where a key of a pack is in its file, for the line and column of an error.
// The yaml package parses JSON as well as YAML and keeps every node's offset,
// so one walk serves both formats. Only an error pays for it: a pack that is
// fine is never parsed twice.

import type { Node, Pair } from 'yaml';

export type KeyPath = (string | number)[];

import type { Position } from '../util/errors';
export type { Position };

/** `rules[3].entries[0]`: how messages name a key. */
export function keyName(path: KeyPath): string {
  let out = '';
  for (const s of path) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/**
 * The position of `path` in `text`: of the key itself when `on` is 'key' (a
 * key that should not be there), of its value when 'value', and of the
 * object that lacks it when 'parent' (a key that is missing). Null when the
 * text does not have it.
 */
export function locate(text: string, path: KeyPath, on: 'key' | 'value' | 'parent'): Position | null {
  // loaded here, not at start-up: only an error needs it
  const YAML = require('yaml') as typeof import('yaml');
  const counter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: counter, logLevel: 'silent', uniqueKeys: false });
  const steps = on === 'parent' ? path.slice(0, -1) : path;
  let node: unknown = doc.contents;
  let key: unknown = null;
  for (const s of steps) {
    if (YAML.isMap(node)) {
      const pair = (node.items as Pair[]).find((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key) === String(s));
      if (!pair) return null;
      key = pair.key;
      node = pair.value;
    } else if (YAML.isSeq(node) && typeof s === 'number') {
      key = null;
      node = node.items[s];
    } else {
      return null;
    }
  }
  const target = (on === 'key' && key ? key : node) as Node | null;
  const offset = target?.range?.[0];
  if (offset === undefined) return null;
  const p = counter.linePos(offset);
  return { line: p.line, column: p.col };
}
