// A rule's entry that the analysed files do not define. When the run reads
// the pack's own files, that is a broken pack (a typo, a function renamed
// upstream): the run stops, naming the pack file and the key of the entry.
// When the user chose the files (--include), leaving an entry out is theirs
// to do, and it is a note; so is an entry the pack marks optional (a function
// only some trees or configurations have).

import { PackError, type Pack } from './load';
import { entryOf } from './rule-spec';

export function missingEntryError(pack: Pack, defined: (fn: string) => boolean, only?: string[]): PackError | null {
  const indexInFile = new Map<string, number>();
  for (const r of pack.rules) {
    const file = pack.ruleFile[r.id] ?? '';
    const k = indexInFile.get(file) ?? 0;
    indexInFile.set(file, k + 1);
    if (only?.length && !only.includes(r.id)) continue;
    for (const [j, raw] of (r.entries ?? []).entries()) {
      const e = entryOf(raw);
      if (!e.optional && !defined(e.function)) {
        return new PackError(file, `rules[${k}].entries[${j}]`,
          `${e.function} is not defined in the analysed files (rule ${r.id}; mark it "optional": true if only some trees have it)`);
      }
    }
  }
  return null;
}
