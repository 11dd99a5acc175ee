// Keys of the fact cache: a file's facts depend on its path (facts name it),
// its bytes, the normalization settings of the pack and the parse limits. The
// code that made them is in every entry's version (store.ts).

import type { FrontendConfig } from '../parse/normalize';
import type { ParseLimits } from '../parse/parse-file';
import { sha, sha256 } from './store';

/** Everything but the file that a fact key depends on. */
export function factSettingsId(frontend: FrontendConfig, limits: ParseLimits): string {
  return sha(JSON.stringify(frontend), `${limits.maxFileSize}/${limits.timeoutMs}`);
}

/** A file's content key: the hash of its bytes. */
export function contentHash(bytes: Uint8Array): string {
  return sha256(bytes);
}

/** The fact key of a file at rel whose bytes hash to content (contentHash); `bodies` false: of its declarations only. */
export function factKey(settingsId: string, rel: string, content: string, bodies = true): string {
  return bodies ? sha(settingsId, rel, content) : sha(settingsId, rel, content, 'declarations only');
}
