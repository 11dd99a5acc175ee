// Keys of the fact cache: a file's facts depend on its path (facts name it),
// its bytes, the normalization settings of the pack and the front-end code.

import { createHash } from 'node:crypto';
import type { FrontendConfig } from '../source/normalize';
import { frontEndId } from './code-id';
import { sha256 } from './store';

/** Everything but the file that a fact key depends on. */
export function factSettingsId(frontend: FrontendConfig): string {
  return sha256(`${frontEndId()}\0${JSON.stringify(frontend)}`);
}

export function factKey(settingsId: string, rel: string, bytes: Uint8Array): string {
  return createHash('sha256').update(settingsId).update('\0').update(rel).update('\0').update(bytes).digest('hex');
}
