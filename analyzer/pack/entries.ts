// A rule's entry that the analysed files do not define: a function renamed
// or removed upstream, a typo, an older or partial tree. One rule that does
// not fit the tree must not stop the others (a bot on a moving tree would
// check nothing at all), so each such entry is a note naming the pack file,
// the key of the entry and the rule: a rule some of whose entries are there
// runs from those, a rule none of whose entries is there is skipped. An entry
// the pack marks optional (a function only some trees or configurations
// have) gets the plain note `entry X: not defined in the analysed files`.
// A tree with none of the pack's files at all is not one the pack is about:
// the commands refuse it (noPackFiles).

import type { Pack } from './load';
import { functionEntries, isRoleEntry } from './rule-spec';
import { authoredAt } from './sets';
import { keyName } from './locate';
import { analysedMatcher } from '../source/discover';

/** For each entry function the tree lacks, the notes that name it by rule and key (optional entries have none). */
export function missingEntryNotes(pack: Pack, defined: (fn: string) => boolean, only?: string[]): Map<string, string[]> {
  const indexInFile = new Map<string, number>();
  const notes = new Map<string, string[]>();
  for (const r of pack.rules) {
    const file = pack.ruleFile[r.id] ?? '';
    const k = indexInFile.get(file) ?? 0;
    indexInFile.set(file, k + 1);
    if (only?.length && !only.includes(r.id)) continue;
    const written = r.entries ?? [];
    const entries = functionEntries(written);
    // a role's entries are found in the tree, never missing from it
    const roles = (r.entries ?? []).some(isRoleEntry);
    const left = entries.filter((e) => defined(e.function)).length;
    for (const [j, item] of written.entries()) {
      if (isRoleEntry(item)) continue;
      const e = typeof item === 'string' ? { function: item, optional: false } : item;
      if (defined(e.function) || e.optional) continue;
      const what = roles ? `rule ${r.id} runs from its other entries and its roles'`
        : left ? `rule ${r.id} runs from its other ${left === 1 ? 'entry' : `${left} entries`}` : `rule ${r.id} is skipped, none of its entries is defined`;
      // an entry a set put there is named where the set has it
      const o = authoredAt(pack.spliced, file, ['rules', k, 'entries', j]);
      const note = `${o.file}: ${keyName(o.path)}: ${e.function} is not defined in the analysed files; ${what} (mark it "optional": true if only some trees have it)`;
      const l = notes.get(e.function);
      if (l) l.push(note);
      else notes.set(e.function, [note]);
    }
  }
  return notes;
}

/**
 * What a change that removes entry functions (`missing` after, not before:
 * Analysis.missing) loses: a line for each, naming the rule and key that
 * will not run from it. The hook and review print these, so that a commit
 * renaming an entry does not pass in silence and leave the rule idle.
 */
export function removedEntryNotes(pack: Pack, before: string[], after: string[], only?: string[]): string[] {
  const was = new Set(before);
  const gone = after.filter((e) => !was.has(e));
  if (!gone.length) return [];
  const now = new Set(after);
  const keyed = missingEntryNotes(pack, (fn) => !now.has(fn), only);
  const out: string[] = [];
  for (const e of gone) {
    for (const n of keyed.get(e) ?? [`${e}, an optional entry of the pack, is no longer defined`]) out.push(`removes ${e}: ${n}`);
  }
  return out;
}

/**
 * The one line a command stops with when none of `files` is one the pack's
 * own `files` select (an empty directory, a tree of something else): every
 * rule would run on nothing and report nothing, which reads as "clean".
 * null when the tree has some.
 */
export function noPackFiles(pack: Pack, files: Iterable<string>, tree: string): string | null {
  if (!pack.include.length) return null;
  const mine = analysedMatcher(pack.include, pack.exclude);
  for (const f of files) if (mine(f)) return null;
  return `${tree}: none of the files the pack ${pack.name} is about is analysed here (${pack.include.join(', ')}): not a tree it can check`;
}
