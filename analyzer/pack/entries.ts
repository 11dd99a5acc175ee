// A rule's entry that the analysed files do not define. When the pack fits
// the tree (some of its entries are defined there) and the run reads the
// pack's own files, a missing entry is a broken pack (a typo, a function
// renamed upstream): the run stops, naming the pack file and the key of the
// entry. It is a note instead when the user chose the files (--include), when
// the pack marks the entry optional (a function only some trees or
// configurations have), and when none of the pack's entries is defined at
// all: then the tree is not one the pack is about (a fixture, a partial
// checkout), and every entry is reported missing in the notes.

import { packErrorAt, type PackError, type Pack } from './load';
import { entryOf } from './rule-spec';

export function missingEntryError(pack: Pack, defined: (fn: string) => boolean, only?: string[]): PackError | null {
  const indexInFile = new Map<string, number>();
  let first: PackError | null = null;
  let anyDefined = false;
  for (const r of pack.rules) {
    const file = pack.ruleFile[r.id] ?? '';
    const k = indexInFile.get(file) ?? 0;
    indexInFile.set(file, k + 1);
    if (only?.length && !only.includes(r.id)) continue;
    for (const [j, raw] of (r.entries ?? []).entries()) {
      const e = entryOf(raw);
      if (defined(e.function)) anyDefined = true;
      else if (!e.optional && !first) {
        first = packErrorAt(file, null, ['rules', k, 'entries', j],
          `${e.function} is not defined in the analysed files (rule ${r.id}; mark it "optional": true if only some trees have it)`);
      }
    }
  }
  return anyDefined ? first : null;
}
