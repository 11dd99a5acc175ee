// Named sets: a pack writes a list once (`sets: {fresh: [...]}`) and splices
// it into any list with "@fresh". The loader expands them before the schema
// sees the pack, so every kind reads plain lists; what it keeps is where each
// spliced item was written, so that an error or a note about it names the
// set's line and not a place the author never wrote.

import { keyName, type KeyPath } from './locate';

/** Where a value was written: the pack file and the key path in it. */
export interface Origin {
  file: string;
  path: KeyPath;
}

/** A set after its own splices, each item with where it was written. */
export interface PackSet {
  items: unknown[];
  origins: Origin[];
}

/** For each file, the expanded keys (`rules[2].fresh[0]`) whose value a splice put there, and where it came from. */
export type Spliced = Record<string, Record<string, Origin>>;

const REF = /^@([a-z][a-z0-9-]*)$/;

export class SetError extends Error {
  constructor(public at: Origin, public reason: string) {
    super(reason);
  }
}

/**
 * Expands `raw` (one pack file, parsed) with its own sets and those of the
 * packs it extends. Returns the pack with every "@name" item replaced by the
 * set's items, the pack's sets for packs that extend it, and the spliced keys.
 */
export function expandSets(file: string, raw: unknown, inherited: Record<string, PackSet>): { raw: unknown; sets: Record<string, PackSet>; spliced: Record<string, Origin> } {
  const spliced: Record<string, Origin> = {};
  if (!isObject(raw)) return { raw, sets: inherited, spliced };
  const own = isObject(raw.sets) ? raw.sets : {};
  const sets: Record<string, PackSet> = { ...inherited };
  for (const name of Object.keys(own)) {
    if (inherited[name]) throw new SetError({ file, path: ['sets', name] }, `set ${name} is already defined in ${inherited[name].origins[0]?.file ?? 'a pack this one extends'}`);
  }
  const resolving: string[] = [];
  const resolve = (name: string, at: Origin): PackSet => {
    const done = sets[name];
    if (done) return done;
    const list = own[name];
    if (!Array.isArray(list)) {
      const known = [...new Set([...Object.keys(own), ...Object.keys(inherited)])].sort();
      throw new SetError(at, `no set named ${name}${known.length ? ` (the sets: ${known.join(', ')})` : ' (the pack has no sets)'}`);
    }
    if (resolving.includes(name)) throw new SetError(at, `set ${name} splices itself: ${[...resolving.slice(resolving.indexOf(name)), name].join(' -> ')}`);
    resolving.push(name);
    const out: PackSet = { items: [], origins: [] };
    for (const [i, item] of list.entries()) {
      const where = { file, path: ['sets', name, i] };
      const ref = typeof item === 'string' ? REF.exec(item) : null;
      if (!ref) {
        out.items.push(item);
        out.origins.push(where);
        continue;
      }
      const inner = resolve(ref[1], where);
      for (const [j, x] of inner.items.entries()) {
        out.items.push(x);
        out.origins.push(inner.origins[j]);
      }
    }
    resolving.pop();
    sets[name] = out;
    return out;
  };
  for (const name of Object.keys(own)) resolve(name, { file, path: ['sets', name] });

  // the nesting of values spliced into values is bounded by the sets' own: a
  // set item that splices its own set again would never end
  const within: string[] = [];
  const value = (v: unknown, at: KeyPath, written: Origin): unknown => {
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const [i, item] of v.entries()) {
        const ref = typeof item === 'string' ? REF.exec(item) : null;
        if (!ref) {
          out.push(value(item, [...at, out.length], { file: written.file, path: [...written.path, i] }));
          continue;
        }
        const ref_at = { file: written.file, path: [...written.path, i] };
        if (within.includes(ref[1])) throw new SetError(ref_at, `set ${ref[1]} splices itself: ${[...within.slice(within.indexOf(ref[1])), ref[1]].join(' -> ')}`);
        const set = resolve(ref[1], ref_at);
        within.push(ref[1]);
        for (const [j, x] of set.items.entries()) {
          spliced[keyName([...at, out.length])] = set.origins[j];
          out.push(value(x, [...at, out.length], set.origins[j]));
        }
        within.pop();
      }
      return out;
    }
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = value(x, [...at, k], { file: written.file, path: [...written.path, k] });
      return out;
    }
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(raw)) out[k] = k === 'sets' ? x : value(x, [k], { file, path: [k] });
  return { raw: out, sets, spliced };
}

/**
 * Where the value at `path` of `file` (as the loader expanded it) was
 * written: in a set when a splice put it there, else at the same path.
 */
export function authoredAt(spliced: Spliced | undefined, file: string, path: KeyPath): Origin {
  const map = spliced?.[file];
  if (map) {
    for (let k = path.length; k > 0; k--) {
      const o = map[keyName(path.slice(0, k))];
      if (o) return { file: o.file, path: [...o.path, ...path.slice(k)] };
    }
  }
  return { file, path };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
