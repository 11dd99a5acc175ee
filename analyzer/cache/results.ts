// The results cache of `check`: what a check printed, keyed by everything it
// depends on: the analyzer's code, the pack, the options that change findings,
// and every file's path and fact key (its bytes). When nothing changed, a
// check reads and hashes the files and nothing more.

import type { Finding } from '../flow/finding';
import type { CheckStats } from '../report/json';
import { analyzerId } from './code-id';
import { EntryStore, sha256 } from './store';
import type { Pack } from '../pack/load';

export interface CheckOutput {
  findings: Finding[];
  stats: CheckStats;
}

export class ResultCache {
  private store: EntryStore;

  constructor(root: string, private base: string) {
    this.store = new EntryStore('results', root);
  }

  /** key of a result over these (path, fact key) pairs and discovery notes */
  key(files: [string, string][], notes: string[]): string {
    return sha256(JSON.stringify([this.base, files, notes]));
  }

  get(key: string): CheckOutput | null {
    const got = this.store.read(key);
    if (!got) return null;
    try {
      return JSON.parse(got) as CheckOutput;
    } catch {
      return null;
    }
  }

  put(key: string, out: CheckOutput): void {
    this.store.write(key, JSON.stringify(out));
  }
}

/** What every result key of a run shares: code, pack, and the options that select rules. */
export function resultBase(pack: Pack, only: string[] | undefined): string {
  return sha256(JSON.stringify([analyzerId(), pack, only ?? []]));
}
